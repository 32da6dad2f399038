"""Checks on the notebooks as executed headless: every one ran every cell and shows a figure.

Not collected by a plain ``pytest`` run (the name does not start with
``test_``): CI executes copies of the notebooks first, then names this file::

    mkdir -p build && rm -rf build/notebooks && cp -r notebooks build/notebooks
    MPLBACKEND=Agg PPRL_NB_N=500 python -m pytest -q --nbmake build/notebooks --overwrite \
        --nbmake-timeout=180
    PPRL_EXECUTED_NOTEBOOKS=build/notebooks python -m pytest -q tests/nb_executed_check.py

(``.ci/run`` and the README's test command do exactly this.)  A notebook
that relies on the matplotlib backend to show its figures embeds none under
``MPLBACKEND=Agg``, and an exported notebook would lose them; each notebook
therefore starts its imports cell with ``%matplotlib inline``.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

SOURCES = sorted((Path(__file__).parent.parent / "notebooks").glob("*.ipynb"))


def _executed_dir() -> Path:
    where = os.environ.get("PPRL_EXECUTED_NOTEBOOKS")
    if not where:
        pytest.fail("set PPRL_EXECUTED_NOTEBOOKS to the folder of executed notebooks "
                    "(see this file's docstring)")
    return Path(where)


def _images(cell: dict) -> int:
    return sum(1 for o in cell.get("outputs", [])
               if any(k.startswith("image/") for k in o.get("data", {})))


@pytest.mark.parametrize("source", SOURCES, ids=lambda p: p.stem)
def test_executed_notebook_ran_every_cell_and_holds_a_figure(source):
    path = _executed_dir() / source.name
    assert path.exists(), f"{source.name} was not executed into {path.parent}"
    nb = json.loads(path.read_text(encoding="utf-8"))
    code = [c for c in nb["cells"] if c["cell_type"] == "code"]
    not_run = [i for i, c in enumerate(code) if c.get("execution_count") is None]
    assert not not_run, f"code cells {not_run} of {source.name} never ran"
    errors = [o.get("text", "") for c in code for o in c.get("outputs", [])
              if o.get("name") == "stderr" and "UsageError" in "".join(o.get("text", ""))]
    assert not errors, f"a magic failed in {source.name}: {errors[0]}"
    assert sum(_images(c) for c in code) >= 1, (
        f"{source.name} executed headless embeds no image; start its imports cell with "
        "%matplotlib inline (see tests/nb_executed_check.py)")
