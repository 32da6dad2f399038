"""Helpers shared by the sub-commands: error contract, secrets, progress."""

from __future__ import annotations

import argparse
import os
import sys
import warnings
from pathlib import Path

from ..errors import InputError, PPRLError

__all__ = [
    "EXIT_OK",
    "EXIT_FAILURE",
    "EXIT_BAD_INPUT",
    "run_command",
    "read_secret",
    "add_progress_flag",
    "show_progress",
    "check_output_path",
    "warn",
    "require_file",
    "threshold_arg",
    "fraction_arg",
    "FILE_NOT_FOUND",
    "SHORT_SECRET_BYTES",
]

EXIT_OK = 0
EXIT_FAILURE = 1
EXIT_BAD_INPUT = 2

SECRET_ENV = "PPRL_SECRET"
#: The one wording of a missing input file, across sub-commands.
FILE_NOT_FOUND = "file not found"
#: Secrets shorter than this earn a warning.
SHORT_SECRET_BYTES = 16


def _one_line(text: str) -> str:
    return " ".join(str(text).split())


def warn(command: str, message: str) -> None:
    """Print a warning of ``pprl <command>`` as one line on stderr."""
    print(f"pprl {command}: warning: {_one_line(message)}", file=sys.stderr)


def _warning_printer(command: str):
    def show(message, category, filename, lineno, file=None, line=None):  # noqa: ARG001
        warn(command, str(message))
    return show


def run_command(args: argparse.Namespace) -> int:
    """Call ``args.func(args)`` under the error contract of the command line.

    Python warnings raised while the command runs are printed as one line,
    ``pprl <command>: warning: ...``, without source file or code line.
    """
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("default")
            warnings.showwarning = _warning_printer(args.command)
            rc = args.func(args)
    except InputError as exc:
        print(f"pprl {args.command}: error: {_one_line(exc)}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except BrokenPipeError:  # the reader went away (`pprl evaluate ... | head`): not an error
        try:
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, sys.stdout.fileno())
        except (OSError, ValueError):
            pass
        return 141
    except (PPRLError, OSError) as exc:
        print(f"pprl {args.command}: error: {_one_line(exc)}", file=sys.stderr)
        return EXIT_FAILURE
    except KeyboardInterrupt:
        print(f"pprl {args.command}: interrupted", file=sys.stderr)
        return 130
    return EXIT_OK if rc is None else int(rc)


def read_secret(secret_file: str | None) -> bytes:
    """The linkage secret, from a file or the ``PPRL_SECRET`` environment variable.

    The secret is never echoed: errors name only where it was looked for.
    A single trailing newline in the file is stripped (editors add one).
    """
    if secret_file is not None:
        p = Path(secret_file)
        try:
            data = p.read_bytes()
        except FileNotFoundError:
            raise InputError(f"{p}: {FILE_NOT_FOUND} (the secret file)") from None
        except OSError as exc:
            raise InputError(f"{p}: cannot read secret file ({exc.strerror})") from None
        if data.endswith(b"\r\n"):
            data = data[:-2]
        elif data.endswith(b"\n"):
            data = data[:-1]
        if not data:
            raise InputError(f"{p}: secret file is empty")
        _check_length(data, str(p))
        return data
    env = os.environ.get(SECRET_ENV)
    if env:
        _check_length(env.encode("utf-8"), f"${SECRET_ENV}")
        return env.encode("utf-8")
    raise InputError(
        f"no secret given: pass --secret-file FILE or set the {SECRET_ENV} environment variable"
    )


def _check_length(secret: bytes, where: str) -> None:
    if len(secret) < SHORT_SECRET_BYTES:
        warnings.warn(
            f"the secret in {where} is only {len(secret)} bytes; use at least "
            f"{SHORT_SECRET_BYTES} random bytes (e.g. head -c 32 /dev/urandom | base64 > key.txt) "
            "or anyone can guess it and read the CLKs", UserWarning, stacklevel=3)


def add_progress_flag(parser: argparse.ArgumentParser) -> None:
    """Add ``--progress/--no-progress`` (default: on when stderr is a terminal)."""
    parser.add_argument(
        "--progress",
        dest="progress",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="show a progress bar (default: when stderr is a terminal)",
    )


def show_progress(args: argparse.Namespace) -> bool:
    """Whether to show a progress bar for this invocation."""
    if getattr(args, "progress", None) is not None:
        return bool(args.progress)
    return sys.stderr.isatty()


def require_file(path: str | os.PathLike[str]) -> Path:
    """Refuse a missing input file with the one wording every sub-command uses."""
    p = Path(path)
    if not p.exists():
        raise InputError(f"{p}: {FILE_NOT_FOUND}")
    if p.is_dir():
        raise InputError(f"{p}: is a folder; expected a file")
    return p


def threshold_arg(value: float, option: str = "--threshold") -> float:
    """Check a threshold option: a number in [0, 1], with one wording everywhere."""
    return fraction_arg(value, option)


def fraction_arg(value: float, option: str, *, above_zero: bool = False) -> float:
    """Check an option that is a share or a score: a number in [0, 1] (or (0, 1]).

    Every sub-command words it the same: ``--overlap must be a number in
    (0, 1]; got 1.5``.
    """
    low = 0.0 < value if above_zero else 0.0 <= value
    if not (isinstance(value, (int, float)) and low and value <= 1.0):
        raise InputError(f"{option} must be a number in {'(' if above_zero else '['}0, 1]; "
                         f"got {value}")
    return float(value)


def check_output_path(path: str | os.PathLike[str], option: str = "-o") -> Path:
    """Refuse an output path whose folder does not exist, before any work is done."""
    p = Path(path)
    parent = p.parent if str(p.parent) else Path(".")
    if not parent.is_dir():
        raise InputError(f"{p}: output folder {parent} does not exist ({option})")
    if p.is_dir():
        raise InputError(f"{p}: is a folder; expected a file name ({option})")
    return p
