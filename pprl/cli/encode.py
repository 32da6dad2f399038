"""``pprl encode``: not yet implemented (placeholder while the sub-command is built)."""

from __future__ import annotations

import argparse

from ..errors import PPRLError


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("encode", help="(not yet implemented)")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    raise PPRLError("pprl encode is not implemented yet")
