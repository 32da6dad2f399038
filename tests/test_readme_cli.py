"""The README's command-line block runs as it is, in an empty folder."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

README = Path(__file__).resolve().parents[1] / "README.md"


def command_block() -> str:
    """The first ``bash`` block of the section "The command line"."""
    text = README.read_text(encoding="utf-8")
    section = text.split("## The command line", 1)[1]
    match = re.search(r"```bash\n(.*?)```", section, re.S)
    assert match, "README: no bash block under 'The command line'"
    return match.group(1)


@pytest.mark.skipif(sys.platform == "win32", reason="the block is POSIX shell")
def test_readme_command_block_runs_verbatim(tmp_path):
    block = command_block()
    env = dict(os.environ, PATH=f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}")
    env.pop("PPRL_SECRET", None)
    r = subprocess.run(["bash", "-e", "-o", "pipefail", "-c", block], cwd=tmp_path, env=env,
                       capture_output=True, text=True, timeout=600, check=False)
    assert r.returncode == 0, r.stderr[-3000:]
    assert "warning" not in r.stderr, r.stderr
    header = (tmp_path / "matches.csv").read_text(encoding="utf-8").splitlines()[0]
    assert header == "a,b,score,a_id,b_id"
    metrics = json.loads(r.stdout[r.stdout.index("{"):])
    assert metrics["f1"] > 0.9
