"""The `textml` command line: a click group of nouns, each a thin wrapper over the library.

User errors (TextmlError and click usage errors) print one line on stderr and exit 2;
tracebacks only with --debug. Command modules import heavy libraries inside the command
functions, so `textml --help` stays instant.
"""

from __future__ import annotations

import sys

import click

from textml import __version__
from textml.exceptions import TextmlError

EXIT_USAGE = 2
_state = {"debug": False}


@click.group(context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.version_option(__version__, "--version", prog_name="textml")
@click.option("--debug", is_flag=True, help="Show full tracebacks instead of one-line errors.")
def cli(debug: bool) -> None:
    """textml: cheap, strong text classifiers with honest evaluation.

    \b
    A typical loop:
      textml data check products.csv          # is the file usable? classes, duplicates, noise
      textml data split products.csv --out split --dedupe
      textml compare split                    # every model vs dummy baselines, on dev
      textml train split --model bow-svm --out model
    Runs are tracked in MLflow (./mlflow.db unless MLFLOW_TRACKING_URI is set);
    look at them with `mlflow ui --backend-store-uri sqlite:///mlflow.db`.
    """
    _state["debug"] = debug


def _register() -> None:
    from textml.cli import commands as command_modules
    from textml.cli import data as data_cmds

    cli.add_command(data_cmds.data)
    for command in command_modules.COMMANDS:
        cli.add_command(command)


_register()


def _one_line_warnings() -> None:
    """Library warnings as one ``warning: ...`` line on stderr (no file path, no source line);
    each distinct message once. ``--debug`` keeps Python's own format."""
    import warnings

    seen: set[str] = set()

    def show(message, category, filename, lineno, file=None, line=None):
        if _state["debug"]:
            return original(message, category, filename, lineno, file, line)
        text = " ".join(str(message).split())
        if text not in seen:
            seen.add(text)
            click.echo(f"warning: {text[:400]}", err=True)

    original = warnings.showwarning
    warnings.showwarning = show


def main(argv: list[str] | None = None) -> None:
    """Console entry point: run the group, turning user errors into one line and exit 2."""
    _one_line_warnings()
    try:
        result = cli.main(args=argv, prog_name="textml", standalone_mode=False)
    except click.exceptions.Abort:
        click.echo("aborted", err=True)
        sys.exit(130)
    except click.ClickException as exc:
        if _state["debug"]:
            raise
        hint = ""
        if isinstance(exc, click.UsageError) and exc.ctx is not None:
            hint = f" (see `{exc.ctx.command_path} --help`)"
        click.echo(f"error: {exc.format_message()}{hint}", err=True)
        sys.exit(EXIT_USAGE if isinstance(exc, click.UsageError) else exc.exit_code)
    except TextmlError as exc:
        if _state["debug"]:
            raise
        click.echo(f"error: {exc}", err=True)
        sys.exit(EXIT_USAGE)
    except KeyboardInterrupt:
        click.echo("interrupted", err=True)
        sys.exit(130)
    except Exception as exc:  # a bug: still one line, but say how to see more
        if _state["debug"]:
            raise
        click.echo(f"error: unexpected {type(exc).__name__}: {exc} (run `textml --debug ...` for the traceback)", err=True)
        sys.exit(1)
    sys.exit(result if isinstance(result, int) else 0)
