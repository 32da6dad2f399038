"""Every sub-command words a missing input file and a bad share or threshold the same way.

One line on stderr, exit status 2, no output file:
``pprl <command>: error: <path>: file not found`` (optionally followed by what the
file should have held, in parentheses), ``--threshold must be a number in [0, 1]; got X``.
"""

from __future__ import annotations

import numpy as np
import pytest

from pprl import write_clks
from pprl.cli import main
from pprl.encoding.schema import PERSON_SCHEMA_PATH


@pytest.fixture
def files(tmp_path):
    """Valid inputs for every argument, and a path that does not exist."""
    clks = tmp_path / "clks.json"
    write_clks(np.zeros((2, 8), dtype=np.uint8), clks)
    csv = tmp_path / "people.csv"
    csv.write_text("given_name,surname\nann,lee\n")
    pairs = tmp_path / "pairs.csv"
    pairs.write_text("a,b,score\n0,0,0.9\n")
    key = tmp_path / "key.txt"
    key.write_text("a secret long enough for the test")
    return {"clks": str(clks), "csv": str(csv), "pairs": str(pairs), "key": str(key),
            "schema": str(PERSON_SCHEMA_PATH), "missing": str(tmp_path / "nope.json"),
            "out": str(tmp_path / "out"), "tmp": tmp_path}


MISSING_FILE = [  # (command, argv with {missing} in one input's place)
    ("synth", "synth --records 5 --config {missing} --out {out}"),
    ("synth", "synth --records 5 --columns {missing} --out {out}"),
    ("encode", "encode {missing} {schema} --secret-file {key} -o {out}"),
    ("encode", "encode {csv} {missing} --secret-file {key} -o {out}"),
    ("encode", "encode {csv} {schema} --secret-file {missing} -o {out}"),
    ("schema", "schema init {missing} -o {out}"),
    ("schema", "schema check {missing}"),
    ("link", "link {missing} {clks} --threshold 0.5 -o {out}"),
    ("link", "link {clks} {missing} --threshold 0.5 -o {out}"),
    ("evaluate", "evaluate {missing} {pairs}"),
    ("evaluate", "evaluate {pairs} {missing}"),
    ("tune", "tune --columns {missing} -o {out}"),
    ("attack", "attack graph {missing} {csv} --schema {schema} -o {out}"),
    ("attack", "attack graph {clks} {missing} --schema {schema} -o {out}"),
    ("attack", "attack graph {clks} {csv} --schema {missing} -o {out}"),
    ("privacy", "privacy report {missing} -o {out}"),
]

BAD_SHARE = [  # (command, argv, the message after "error: ")
    ("link", "link {clks} {clks} --threshold {v} -o {out}",
     "--threshold must be a number in [0, 1]"),
    ("evaluate", "evaluate {pairs} {pairs} --threshold {v}",
     "--threshold must be a number in [0, 1]"),
    ("demo", "demo --records 5 --threshold {v} --out {out}",
     "--threshold must be a number in [0, 1]"),
    ("synth", "synth --records 5 --overlap {v} --out {out}",
     "--overlap must be a number in [0, 1]"),
    ("tune", "tune --columns {csv} --overlap {v} -o {out}", "--overlap must be a number in (0, 1]"),
    ("privacy", "privacy report {schema} --overlap {v} -o {out}",
     "--overlap must be a number in [0, 1]"),
]


def _argv(template: str, files: dict, **more) -> list[str]:
    return template.format(**files, **more).split()


@pytest.mark.parametrize("command, template", MISSING_FILE)
def test_a_missing_file_is_one_line_in_one_wording(files, capsys, command, template):
    rc = main(_argv(template, files) + ["--no-progress"] * (command in ("link", "synth")))
    err = capsys.readouterr().err
    assert rc == 2, err
    assert len(err.splitlines()) == 1, err
    assert err.startswith(f"pprl {command}: error: {files['missing']}: file not found"), err
    rest = err.rstrip("\n").split("file not found", 1)[1]
    assert rest == "" or (rest.startswith(" (the ") and rest.endswith(")")), err
    assert not (files["tmp"] / "out").exists()


@pytest.mark.parametrize("value", ["1.5", "-0.25"])
@pytest.mark.parametrize("command, template, message", BAD_SHARE)
def test_a_bad_threshold_or_share_is_one_line_in_one_wording(files, capsys, command, template,
                                                             message, value):
    rc = main(_argv(template, files, v=value))
    err = capsys.readouterr().err
    assert rc == 2, err
    assert err == f"pprl {command}: error: {message}; got {float(value)}\n"
    assert not (files["tmp"] / "out").exists()


BAD_FLAG = [  # (command, argv): flags argparse or the command refuses
    ("link", "link {clks} {clks} --threshold abc -o {out}"),
    ("link", "link {clks} {clks} -o {out}"),  # --threshold missing
    ("synth", "synth --records abc --out {out}"),
    ("synth", "synth --records -3 --out {out}"),
    ("synth", "synth --records 5 --duplicates lots --out {out}"),
    ("tune", "tune --columns {csv} --records -3 -o {out}"),
    ("encode", "encode {csv} {schema} --secret-file {key} --workers 0 -o {out}"),
    ("dashboard", "dashboard --records 0"),
]


@pytest.mark.parametrize("command, template", BAD_FLAG)
def test_a_bad_flag_is_one_line_in_one_wording(files, capsys, command, template):
    """argparse's own errors too: no usage dump, and ``--flag must ...; got X`` wording."""
    with pytest.raises(SystemExit) as exc:
        rc = main(_argv(template, files))
        raise SystemExit(rc)
    err = capsys.readouterr().err
    assert exc.value.code == 2, err
    assert len(err.splitlines()) == 1, err
    assert err.startswith(f"pprl {command}: error: "), err
    assert ", got" not in err, err
    assert not (files["tmp"] / "out").exists()


def test_zero_records_is_said(files, capsys):
    assert main(_argv("synth --records 0 --out {out} --no-progress", files)) == 0
    err = capsys.readouterr().err
    assert err.startswith("pprl synth: warning: --records 0 writes parties with a header and no")
