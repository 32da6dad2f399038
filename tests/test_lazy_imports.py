"""``import pprl`` and ``pprl --help`` stay light; no function hides its module's name.

Each check runs in a fresh interpreter (``sys.modules`` of this one is full).
"""

from __future__ import annotations

import importlib
import json
import pkgutil
import subprocess
import sys
import types

import pytest

import pprl
import pprl.encoding

# What a DataFrame, a CSV parser or a statistics routine needs, not importing pprl.
HEAVY = ("pandas", "pyarrow", "scipy", "faker", "tqdm", "optuna", "sklearn")


def _loaded(code: str, heavy: tuple[str, ...] = HEAVY) -> list[str]:
    probe = (code + "\nimport sys, json\n"
             f"print(json.dumps([m for m in {heavy!r} if m in sys.modules]))")
    r = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True,
                       check=False)
    assert r.returncode == 0, r.stderr
    return json.loads(r.stdout.strip().splitlines()[-1])


def test_import_pprl_imports_no_heavy_package():
    assert _loaded("import pprl") == []


def test_help_imports_no_heavy_package():
    code = ("import contextlib, io\nfrom pprl.cli import main\n"
            "with contextlib.redirect_stdout(io.StringIO()):\n"
            "    try:\n        main(['--help'])\n    except SystemExit:\n        pass")
    # nor numpy, nor importlib.metadata (--version reads it when asked): pprl --help
    # stays near Python's own start-up
    assert _loaded(code, HEAVY + ("numpy", "importlib.metadata")) == []


def test_encoding_a_csv_needs_no_dataframe(tmp_path):
    # pprl encode reads, hashes and writes without pandas (a DataFrame is never built)
    rows = ["rec_id,given_name,surname,sex,date_of_birth,street_number,street_address,"
            "suburb,postcode,state,phone,email",
            "r1,Anna,Smith,f,1980-01-02,12,Main Street,Springfield,2000,NSW,,",
            "r2,Bob,Jones,m,1975-11-30,3,High Road,Shelbyville,3000,VIC,,"]
    data = tmp_path / "a.csv"
    data.write_text("\n".join(rows) + "\n")
    key = tmp_path / "key.txt"
    key.write_text("a test secret of 32 bytes, no more\n")
    out = tmp_path / "out.json"
    code = ("from pprl.cli import main\n"
            f"rc = main(['encode', {str(data)!r}, {str(pprl.encoding.PERSON_SCHEMA_PATH)!r}, "
            f"'--secret-file', {str(key)!r}, '-o', {str(out)!r}, '--no-progress'])\n"
            "assert rc == 0, rc")
    loaded = _loaded(code)
    assert json.loads(out.read_text())["clks"], "no CLKs written"
    assert "pandas" not in loaded and "scipy" not in loaded, loaded


def test_a_lazy_name_imports_its_module_on_first_use():
    assert _loaded("import pprl\npprl.make_dataset") != []   # the probe itself can fail
    assert "pandas" in _loaded("import pprl\npprl.make_dataset")


def test_every_public_name_resolves_and_dir_lists_it():
    for name in pprl.__all__:
        assert getattr(pprl, name) is not None, name
    assert set(pprl.__all__) <= set(dir(pprl))
    with pytest.raises(AttributeError, match="no attribute 'not_a_name'"):
        pprl.not_a_name  # noqa: B018


def _modules() -> list[str]:
    return sorted(m.name for m in pkgutil.walk_packages(pprl.__path__, "pprl.")
                  if not m.name.endswith("__main__"))


def test_no_attribute_hides_a_module_of_the_same_name():
    # e.g. pprl.tune (the function) over pprl.tune (the package) made
    # ``import pprl.tune.search`` fail; import everything, then look.
    for name in _modules():
        importlib.import_module(name)
    hidden = []
    for name in ["pprl"] + _modules():
        parent, _, leaf = name.rpartition(".")
        if not parent:
            continue
        obj = getattr(sys.modules[parent], leaf, None)
        if not isinstance(obj, types.ModuleType):
            hidden.append(f"{name} is a {type(obj).__name__}")
    assert hidden == []


def test_import_as_gives_the_module_in_a_fresh_interpreter():
    code = ("import pprl, pprl.privacy, pprl.encoding, pprl.tuning, pprl.synthetic\n"
            "import pprl.privacy.frontier as F, pprl.encoding.encode as E\n"
            "import pprl.tuning.search as S, pprl.synthetic.corruptors as C\n"
            "import types\n"
            "assert all(isinstance(m, types.ModuleType) for m in (F, E, S, C))\n"
            "assert callable(pprl.tune) and callable(pprl.frontier) and callable(pprl.encode)\n"
            "assert pprl.tune is S.tune and pprl.frontier is F.frontier\n")
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                       check=False)
    assert r.returncode == 0, r.stderr


def test_version_is_read_when_asked(capsys):
    from pprl.cli import main

    with pytest.raises(SystemExit) as stop:
        main(["--version"])
    assert stop.value.code == 0
    assert capsys.readouterr().out.strip() == f"pprl {pprl.__version__}"
