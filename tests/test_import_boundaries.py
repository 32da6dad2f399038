"""``import pprl`` and every core module never pull in matplotlib, ipywidgets or dask."""

from __future__ import annotations

import pkgutil
import subprocess
import sys

import pprl

HEAVY = ("matplotlib", "ipywidgets", "dask")


def _core_modules() -> list[str]:
    names = ["pprl"]
    for info in pkgutil.walk_packages(pprl.__path__, prefix="pprl."):
        if info.name.startswith("pprl.viz") or info.name.endswith("__main__"):
            continue
        names.append(info.name)
    return names


def _loaded_after(imports: list[str]) -> list[str]:
    code = (
        "import sys\n"
        + "".join(f"import {m}\n" for m in imports)
        + f"print(','.join(m for m in {HEAVY!r} if m in sys.modules))"
    )
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=False)
    assert r.returncode == 0, r.stderr
    return [m for m in r.stdout.strip().split(",") if m]


def test_import_pprl_is_light():
    assert _loaded_after(["pprl"]) == []


def test_every_core_module_is_light():
    # One interpreter imports the modules in turn and names the first one that
    # brings in a heavy package (a subprocess per module would take a minute).
    code = (
        "import importlib, json, sys\n"
        f"heavy = {HEAVY!r}\n"
        "culprits = {}\n"
        f"for m in {_core_modules()!r}:\n"
        "    importlib.import_module(m)\n"
        "    for h in heavy:\n"
        "        if h in sys.modules and h not in culprits:\n"
        "            culprits[h] = m\n"
        "print(json.dumps(culprits))\n"
    )
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=False)
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip() == "{}", f"heavy import pulled in by: {r.stdout}"


def test_core_modules_found():
    mods = _core_modules()
    assert {"pprl.evaluation", "pprl.diagnostics", "pprl.explore", "pprl.cli"} <= set(mods)
    assert not any(m.startswith("pprl.viz") for m in mods)


def test_viz_package_defers_heavy_imports():
    assert _loaded_after(["pprl.viz", "pprl.viz.plots", "pprl.viz.widgets"]) == []
