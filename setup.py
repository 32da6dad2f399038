"""Build hook for the optional native Dice kernel.

Everything about the package lives in ``pyproject.toml``; this file only
registers the cffi out-of-line module and makes a failed C build a loud
warning instead of a broken install.  Set ``PPRL_REQUIRE_NATIVE=1`` (CI does)
to make a failed native build fatal, or ``PPRL_NO_NATIVE=1`` to skip it.
"""

import os
import sys

from setuptools import setup
from setuptools.command.build_ext import build_ext

REQUIRE_NATIVE = os.environ.get("PPRL_REQUIRE_NATIVE", "") not in ("", "0")
SKIP_NATIVE = os.environ.get("PPRL_NO_NATIVE", "") not in ("", "0")

BANNER = "=" * 75


class BuildFailed(Exception):
    pass


def show_message(*lines):
    print(BANNER, file=sys.stderr)
    for line in lines:
        print(f"* {line}", file=sys.stderr)
    print(BANNER, file=sys.stderr)


class optional_build_ext(build_ext):
    """Build the cffi extension, but survive a missing compiler.

    The failure is handled here rather than around ``setup()`` because
    editable installs (PEP 660) wrap build errors before they reach it.
    """

    def run(self):
        try:
            super().run()
        except Exception as exc:  # distutils raises many unrelated types
            self._failed(exc)

    def build_extension(self, ext):
        try:
            super().build_extension(ext)
        except Exception as exc:
            self._failed(exc)

    def _failed(self, exc):
        if REQUIRE_NATIVE:
            show_message(
                "The native Dice kernel failed to build and PPRL_REQUIRE_NATIVE=1.",
                f"Reason: {exc}",
            )
            raise BuildFailed(exc) from exc
        show_message(
            "WARNING: the native Dice kernel could not be compiled.",
            f"Reason: {exc}",
            "pprl will work, using the slower pure-numpy backend (same results).",
            "Install a C compiler (gcc/clang, or MSVC Build Tools) and reinstall",
            "to get the fast kernel; pprl.available_backends() reports what loaded.",
        )


kwargs = {"cmdclass": {"build_ext": optional_build_ext}}
if SKIP_NATIVE:
    show_message("PPRL_NO_NATIVE is set: building pprl without the native Dice kernel.")
else:
    kwargs["cffi_modules"] = ["native/build_dice.py:ffibuilder"]
setup(**kwargs)
