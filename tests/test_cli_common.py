"""The command line's shared contract: one-line warnings, one wording for common errors."""

from __future__ import annotations

import argparse
import json
import warnings

import pytest

from pprl.cli import main
from pprl.cli._common import require_file, run_command, threshold_arg
from pprl.encoding.schema import PERSON_SCHEMA_PATH
from pprl.errors import InputError


def test_python_warnings_inside_a_command_are_one_line(capsys):
    def func(args):
        warnings.warn("first\nsecond line", UserWarning, stacklevel=1)
        warnings.warn("again", RuntimeWarning, stacklevel=1)

    args = argparse.Namespace(command="demo", func=func)
    assert run_command(args) == 0
    assert capsys.readouterr().err == ("pprl demo: warning: first second line\n"
                                       "pprl demo: warning: again\n")


def test_schema_warning_during_encode_is_one_line(tmp_path, capsys):
    doc = json.loads(PERSON_SCHEMA_PATH.read_text())
    doc["clkConfig"]["xorFolds"] = 1  # ignored, as clkhash 0.18 ignores it, with a warning
    schema = tmp_path / "s.json"
    schema.write_text(json.dumps(doc))
    data = tmp_path / "d.csv"
    data.write_text(",".join(f["identifier"] for f in doc["features"]) + "\n")
    key = tmp_path / "key"
    key.write_text("a long enough secret for the test")
    rc = main(["encode", str(data), str(schema), "--secret-file", str(key), "-o",
               str(tmp_path / "c.json"), "--no-progress"])
    err = capsys.readouterr().err
    assert rc == 0
    warned = [x for x in err.splitlines() if "warning" in x]
    assert any(x.startswith("pprl encode: warning: ") and "xorFolds is ignored" in x
               for x in warned)
    assert "UserWarning" not in err and ".py:" not in err


def test_one_wording_for_missing_files_and_thresholds(tmp_path, capsys):
    with pytest.raises(InputError, match="nope.csv: file not found$"):
        require_file(tmp_path / "nope.csv")
    with pytest.raises(InputError, match=r"--threshold must be a number in \[0, 1\]; got 2"):
        threshold_arg(2)
    missing = str(tmp_path / "nope.json")
    for argv in (["link", missing, missing, "--threshold", "0.8", "-o", str(tmp_path / "m")],
                 ["evaluate", missing, missing],
                 ["encode", missing, str(PERSON_SCHEMA_PATH), "-o", str(tmp_path / "c.json")],
                 ["schema", "init", missing, "-o", str(tmp_path / "s.json")]):
        assert main(argv) == 2
        err = capsys.readouterr().err
        assert err == f"pprl {argv[0]}: error: {missing}: file not found\n", argv
