"""cffi out-of-line API-mode builder for the native Dice kernel (placeholder)."""
from pathlib import Path

from cffi import FFI

HERE = Path(__file__).resolve().parent

ffibuilder = FFI()
ffibuilder.cdef((HERE / "dice.cdef").read_text())
ffibuilder.set_source(
    "pprl._dice_cffi",
    '#include "dice.h"',
    sources=[str((HERE / "dice.c").relative_to(Path.cwd())) if (HERE / "dice.c").is_relative_to(Path.cwd()) else str(HERE / "dice.c")],
    include_dirs=[str(HERE)],
    extra_compile_args=["-O3", "-std=c99"],
)

if __name__ == "__main__":
    ffibuilder.compile(verbose=True)
