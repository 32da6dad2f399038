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
    expected = {"pprl.evaluation", "pprl.evaluation.diagnostics", "pprl.evaluation.explore",
                "pprl.encoding.schema", "pprl.linkage.similarity", "pprl.privacy", "pprl.cli"}
    assert expected <= set(mods)
    assert not any(m.startswith("pprl.viz") for m in mods)


def test_viz_package_defers_heavy_imports():
    assert _loaded_after(["pprl.viz", "pprl.viz.plots", "pprl.viz.widgets"]) == []


def test_only_the_backend_module_imports_the_cffi_library():
    # import-linter cannot see the compiled module, so this rule is checked on the source.
    import ast
    from pathlib import Path

    root = Path(pprl.__file__).parent
    importers = set()
    for path in root.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names = []
            if isinstance(node, ast.ImportFrom):
                names = [node.module or ""] + [a.name for a in node.names]
            elif isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            if any("_dice_cffi" in n or n in ("cffi", "_cffi_backend") for n in names):
                importers.add(path.relative_to(root).as_posix())
    assert importers == {"linkage/_native.py"}
