"""`python -m textml`: the same command line as `textml`."""

from textml.cli import main

if __name__ == "__main__":
    main()
