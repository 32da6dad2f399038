"""cffi out-of-line API-mode builder for the native Dice kernel.

Used two ways:

* by ``setup.py`` (``cffi_modules=["native/build_dice.py:ffibuilder"]``), which
  setuptools runs with the project root as the working directory;
* by hand from a clean clone: ``python native/build_dice.py`` writes
  ``pprl/linkage/_dice_cffi.*`` next to the sources it compiles.

Source paths are given relative to the working directory (setuptools
refuses absolute ones).  No ``-march=native``: every instruction-set path is
compiled with per-function target attributes and chosen at run time.
"""

import os
import sys

from cffi import FFI

HERE = os.path.dirname(os.path.abspath(__file__))
if __name__ == "__main__":
    # by hand: build into the source tree's package folder, wherever we are run from
    os.chdir(os.path.dirname(HERE))


def _rel(path: str) -> str:
    """``path`` relative to the working directory when possible."""
    try:
        return os.path.relpath(path)
    except ValueError:  # another drive on Windows
        return path


def _compile_args() -> list[str]:
    if sys.platform == "win32" and "GCC" not in sys.version:
        return []  # MSVC: its defaults are fine; it gets the portable path only
    return ["-O3"]


with open(os.path.join(HERE, "dice.cdef"), encoding="utf-8") as fh:
    CDEF = fh.read()

ffibuilder = FFI()
ffibuilder.cdef(CDEF)
ffibuilder.set_source(
    "pprl.linkage._dice_cffi",
    '#include "dice.h"\n#include "groups.h"',
    sources=[_rel(os.path.join(HERE, "dice.c")), _rel(os.path.join(HERE, "groups.c"))],
    include_dirs=[_rel(HERE)],
    depends=[_rel(os.path.join(HERE, name))
             for name in ("dice.h", "bitslice_kernel.h", "groups.h")],
    extra_compile_args=_compile_args(),
)

if __name__ == "__main__":
    ffibuilder.compile(tmpdir=".", verbose=True)
