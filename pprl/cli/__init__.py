"""The ``pprl`` command line.

Each sub-command lives in its own module in this package and provides
``add_parser(subparsers)`` (which registers the sub-command and sets
``func``) and the function it points to.  This module only assembles them
and applies the error contract: one line on stderr naming the place and
what was expected; exit status 2 for bad input, 1 for other failures.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence

from ._common import run_command

__all__ = ["main", "build_parser"]

# Order shown in ``pprl --help``.
_COMMANDS = ("synth", "encode", "schema", "link", "evaluate", "attack", "privacy", "tune", "demo",
             "dedupe", "serve", "project", "dashboard")


class _Version(argparse.Action):
    """``--version``: reads the installed version (importlib.metadata) only when asked."""

    def __call__(self, parser, namespace, values, option_string=None):
        from .._version import __version__

        print(f"pprl {__version__}")  # on stdout, as argparse's own version action
        parser.exit()


class _Parser(argparse.ArgumentParser):
    """argparse with the project's error contract: one line on stderr, exit status 2.

    argparse prints the whole usage before its error; a bad flag then reads
    unlike every other error of the command line.  The usage stays one
    ``--help`` away.
    """

    def error(self, message: str):  # type: ignore[override]
        self.exit(2, f"{self.prog}: error: {message} (see '{self.prog} --help')\n")


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of the ``pprl`` command, with every sub-command."""
    parser = _Parser(
        prog="pprl",
        description="Privacy-preserving record linkage: synthesise, encode, link, evaluate.",
    )
    parser.add_argument("--version", action=_Version, nargs=0,
                        help="show program's version number and exit")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    sub.required = True
    for name in _COMMANDS:
        module = importlib.import_module(f"{__name__}.{name}")
        module.add_parser(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the ``pprl`` command; returns the exit status."""
    parser = build_parser()
    args = parser.parse_args(argv)
    return run_command(args)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
