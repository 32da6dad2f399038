"""Peak resident memory of a command run in a child process (shared by the memory tests).

The command runs under a small Python parent whose only child it is, so
``RUSAGE_CHILDREN`` reports that command's peak alone, not the largest of
every child the test process has had.
"""

from __future__ import annotations

import os
import subprocess
import sys

_PARENT = r"""
import resource, subprocess, sys
rc = subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
sys.stdout.write(f"{rc.returncode} {resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss}\n")
sys.stdout.write(rc.stderr.decode())
"""


def pprl_peak(*args, env: dict | None = None) -> tuple[int, int, str]:
    """Exit status, peak resident memory (bytes) and stderr of ``pprl ARGS``."""
    cmd = [sys.executable, "-c", _PARENT, sys.executable, "-m", "pprl.cli", *map(str, args)]
    out = subprocess.run(cmd, capture_output=True, text=True, check=True,
                         env=None if env is None else {**os.environ, **env}).stdout
    first, _, err = out.partition("\n")
    rc, kib = first.split()
    return int(rc), int(kib) * 1024, err
