from textml.cli import main

main()
