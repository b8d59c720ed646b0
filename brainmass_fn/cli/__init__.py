"""The command line (``brainmass-fn``, ``python -m brainmass_fn``) and its pipelines.

An application built on the library, kept apart from it: the argument parser and
subcommands (`main`), the TOML schema of ``fit`` configs (`._config`) and the
flagship FC-fitting pipeline (`brainmass_fn.cli.flagship`) that ``demo`` and
``fit`` run.
"""

from ._main import CLIError, build_parser, load_fit_config, main

__all__ = ["CLIError", "build_parser", "load_fit_config", "main"]
