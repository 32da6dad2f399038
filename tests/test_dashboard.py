"""``pprl dashboard``: its data, its logic, its errors, and the page in a real browser.

The end-to-end test starts ``pprl dashboard --no-browser`` (Voila) and drives
the page in Debian's chromium through playwright.  CI installs chromium
(``.ci/run``) and the test must run there; on a machine without it the test
skips itself, except under ``CI=true``, where that is a failure.
"""

from __future__ import annotations

import os
import re
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import pprl
from pprl.cli import main
from pprl.errors import InputError
from pprl.evaluation.journey import compare_journeys, record_journey
from pprl.viz.dashboard import Dashboard, load_dashboard_data

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update",
                 "--disable-sync"]
ARTIFACTS = Path(os.environ.get("PPRL_TEST_ARTIFACTS", "test-artifacts")) / "dashboard"


@pytest.fixture(scope="module")
def small():
    return load_dashboard_data("au-1k", records=200, rng=3)


def test_shipped_data_and_sample(small):
    full = load_dashboard_data("au-1k")
    assert len(full.records_a) == len(full.records_b) == 1000 and len(full.truth) == 500
    assert len(small.records_a) == len(small.records_b) == 200
    # the sample keeps true pairs true: same person, same date of birth and sex in A and B
    a = small.records_a.iloc[small.truth[:, 0]]
    b = small.records_b.iloc[small.truth[:, 1]]
    assert 60 <= len(small.truth) <= 140  # about half of A's 200 have a match
    agree = (a["sex"].to_numpy() == b["sex"].to_numpy()).mean()
    assert agree > 0.9
    # and a different seed samples other records
    other = load_dashboard_data("au-1k", records=200, rng=4)
    assert not small.records_a.equals(other.records_a)


def test_user_csvs_and_their_errors(tmp_path, small):
    small.records_a.to_csv(tmp_path / "a.csv", index=False)
    small.records_b.to_csv(tmp_path / "b.csv", index=False)
    pd.DataFrame(small.truth, columns=["a", "b"]).to_csv(tmp_path / "t.csv", index=False)
    spec = ",".join(str(tmp_path / f) for f in ("a.csv", "b.csv", "t.csv"))
    mine = load_dashboard_data(spec)
    assert np.array_equal(mine.truth, small.truth) and len(mine.records_a) == 200
    small.records_a.drop(columns=["surname"]).to_csv(tmp_path / "bad.csv", index=False)
    with pytest.raises(InputError, match=r"bad\.csv: missing column\(s\) surname"):
        load_dashboard_data(spec.replace("a.csv", "bad.csv"))
    pd.DataFrame({"a": [0, 5000], "b": [0, 1]}).to_csv(tmp_path / "far.csv", index=False)
    with pytest.raises(InputError, match=r"far\.csv: row 3, column a"):
        load_dashboard_data(spec.replace("t.csv", "far.csv"))
    with pytest.raises(InputError, match="not a shipped data set"):
        load_dashboard_data("no-such-set")


def test_journey_bits_add_up_to_the_encoders_clk(small):
    from pprl.encoding.schema import PERSON_SCHEMA_PATH

    secret = b"journey test secret, 32 bytes..."
    ia, ib = (int(x) for x in small.truth[0])
    ja = record_journey(small.records_a.iloc[ia], PERSON_SCHEMA_PATH, secret)
    jb = record_journey(small.records_b.iloc[ib], PERSON_SCHEMA_PATH, secret)
    union = np.zeros(ja.l, dtype=bool)
    for f in ja.fields:
        union[f.bits] = True
    clk = pprl.encode(small.records_a.iloc[[ia]], PERSON_SCHEMA_PATH, secret, progress=False)
    assert np.array_equal(pprl.pack_bits(union[None, :])[0], clk[0])
    assert np.array_equal(ja.clk, clk[0])
    cmp = compare_journeys(ja, jb)
    clk_b = pprl.encode(small.records_b.iloc[[ib]], PERSON_SCHEMA_PATH, secret, progress=False)
    assert cmp.dice == pytest.approx(pprl.dice_matrix(clk, clk_b)[0, 0])
    owners = ja.owners()
    assert ((owners >= 0) == union).all()
    # another secret sets other bits
    other = record_journey(small.records_a.iloc[ia], PERSON_SCHEMA_PATH, b"x" * 32)
    assert not np.array_equal(other.clk, ja.clk)


def test_dashboard_widgets_follow_their_controls(small):
    pytest.importorskip("ipywidgets")
    d = Dashboard(small, attack=False)
    assert [d.tabs.get_title(i) for i in range(4)] == ["threshold", "parameters", "one record",
                                                       "quality without truth"]
    assert "suggested threshold" in d.quality_tab.children[0].value
    before = d.threshold.summary.links
    d.threshold.slider.value = 0.95
    assert d.threshold.summary.threshold == 0.95 and d.threshold.summary.links != before
    f1 = d.parameters.result.best.f1
    d.parameters.set(include=("sex",))
    assert d.parameters.result.best.f1 < f1 - 0.3  # sex alone cannot link
    dice = d.journey.comparison.dice
    d.journey.pair.value = 1
    assert d.journey.comparison.dice != dice
    d.journey.field.value = "surname"
    assert "surname" in d.journey.tokens.value


def test_help_names_the_default_data_set(capsys):
    from pprl.viz.dashboard import DEFAULT_DATA

    with pytest.raises(SystemExit):
        main(["dashboard", "--help"])
    assert f"default {DEFAULT_DATA}" in capsys.readouterr().out


def test_cli_refuses_a_port_in_use(capsys):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        s.listen()
        port = s.getsockname()[1]
        rc = main(["dashboard", "--no-browser", "--port", str(port), "--records", "50"])
    err = capsys.readouterr().err.strip()
    assert rc == 2 and err.count("\n") == 0
    assert err.startswith("pprl dashboard: error: --port") and str(port) in err


def test_cli_names_the_missing_extra(monkeypatch, capsys):
    import importlib.util

    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec",
                        lambda name, *a: None if name == "voila" else real(name, *a))
    rc = main(["dashboard", "--no-browser"])
    err = capsys.readouterr().err.strip()
    assert rc == 2 and err.count("\n") == 0 and "pprl[dashboard]" in err and "voila" in err


def test_cli_names_the_file_without_columns(tmp_path, capsys):
    pd.DataFrame({"given_name": ["a"]}).to_csv(tmp_path / "a.csv", index=False)
    pd.DataFrame({"a": [0], "b": [0]}).to_csv(tmp_path / "t.csv", index=False)
    spec = f"{tmp_path / 'a.csv'},{tmp_path / 'a.csv'},{tmp_path / 't.csv'}"
    rc = main(["dashboard", "--no-browser", "--data", spec])
    err = capsys.readouterr().err.strip()
    assert rc == 2 and err.count("\n") == 0 and "a.csv: missing column(s)" in err


def _not_blank(path: Path) -> bool:
    import matplotlib.image as mpimg

    img = mpimg.imread(path)[..., :3]
    dark = (img.mean(axis=2) < 0.6).mean()  # text, lines, bars
    return img.std() > 0.05 and 0.005 < dark < 0.9


def test_not_blank_rejects_an_empty_page(tmp_path):
    import matplotlib.pyplot as plt

    plt.imsave(tmp_path / "white.png", np.ones((50, 50, 3)))
    assert not _not_blank(tmp_path / "white.png")


@pytest.fixture(scope="module")
def server():
    if CHROMIUM is None:
        if os.environ.get("CI") == "true":
            pytest.fail("chromium is not installed; .ci/run installs Debian's chromium")
        pytest.skip("Debian's chromium is not installed (apt-get install chromium)")
    cmd = [sys.executable, "-m", "pprl.cli", "dashboard", "--no-browser", "--port", "0",
           "--records", "300", "--seed", "1"]
    t0 = time.monotonic()
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    line = proc.stdout.readline()
    m = re.search(r"serving at (http://\S+)", line)
    if m is None:
        proc.kill()
        pytest.fail(f"pprl dashboard did not start: {line}{proc.stderr.read()}")
    yield m.group(1), t0
    proc.terminate()  # SIGTERM stops Voila too: nothing keeps serving the port
    assert proc.wait(timeout=30) == 0
    port = int(m.group(1).rstrip("/").rsplit(":", 1)[1])
    end = time.monotonic() + 20
    while time.monotonic() < end:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
        except OSError:
            break
        time.sleep(0.2)
    else:
        pytest.fail(f"port {port} still served after pprl dashboard stopped")


def _wait_change(read, old, timeout=60.0):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        new = read()
        if new and new != old:
            return new
        time.sleep(0.2)
    raise AssertionError(f"no change from {old[:80]!r} within {timeout} s")


def _set_slider(page, css: str, value: str) -> None:
    readout = page.locator(f"{css} .widget-readout")
    readout.click()
    page.keyboard.press("Control+A")
    page.keyboard.type(value)
    page.keyboard.press("Enter")


def test_page_in_a_real_browser(server):
    from playwright.sync_api import sync_playwright

    url, t0 = server
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1400, "height": 1000})
        page.goto(url, timeout=180_000)
        page.wait_for_selector(".pprl-threshold-plot img", timeout=180_000)
        ready = time.monotonic() - t0
        shots = []

        # 1. the threshold slider moves the F1 text and the plot
        summary = lambda: page.inner_text(".pprl-threshold-summary")  # noqa: E731
        plot = lambda css: page.locator(f"{css} img").first.get_attribute("src")  # noqa: E731
        text, img = summary(), plot(".pprl-threshold-plot")
        assert "f1" in text and img.startswith("data:image/png")
        t = time.monotonic()
        _set_slider(page, ".pprl-threshold-slider", "0.9")
        new = _wait_change(summary, text)
        assert "threshold 0.900" in new
        _wait_change(lambda: plot(".pprl-threshold-plot"), img)
        redraw = time.monotonic() - t
        shots.append(ARTIFACTS / "threshold.png")
        page.screenshot(path=shots[-1], full_page=True)

        # 2. a parameter slider (XOR folds) re-encodes: the F1 readout and the plot change
        page.get_by_text("parameters", exact=True).click()
        page.wait_for_selector(".pprl-parameter-plot img", timeout=60_000)
        status = lambda: page.inner_text(".pprl-parameter-status")  # noqa: E731
        text, img = status(), plot(".pprl-parameter-plot")
        assert "best F1" in text
        # every drop-down shows its choice (ipywidgets 8 shows a value of None as a blank)
        shown = page.eval_on_selector_all(
            "select", "els => els.map(e => e.selectedIndex < 0 ? '' : "
                      "e.options[e.selectedIndex].text)")
        assert len(shown) >= 3 and all(shown), shown
        _set_slider(page, ".pprl-xor-slider", "2")
        new = _wait_change(lambda: status().split("·")[0], text.split("·")[0])
        assert "best F1" in new
        _wait_change(lambda: plot(".pprl-parameter-plot"), img)
        shots.append(ARTIFACTS / "parameters.png")
        page.screenshot(path=shots[-1], full_page=True)

        # 3. one record's journey follows the pair slider
        page.get_by_text("one record", exact=True).click()
        page.wait_for_selector(".pprl-journey-plot img", timeout=60_000)
        dice = lambda: page.inner_text(".pprl-journey-table .pprl-dice")  # noqa: E731
        text, img = dice(), plot(".pprl-journey-plot")
        _set_slider(page, ".pprl-pair-slider", "5")
        _wait_change(dice, text)
        _wait_change(lambda: plot(".pprl-journey-plot"), img)
        shots.append(ARTIFACTS / "one_record.png")
        page.screenshot(path=shots[-1], full_page=True)

        # 4. the estimate without truth, beside the truth
        page.get_by_text("quality without truth", exact=True).click()
        page.wait_for_selector(".pprl-quality-plot img", timeout=60_000)
        assert "suggested threshold" in page.inner_text(".pprl-quality-summary")
        shots.append(ARTIFACTS / "quality.png")
        page.screenshot(path=shots[-1], full_page=True)
        browser.close()
    print(f"dashboard interactive after {ready:.1f} s; threshold redraw {redraw:.2f} s")
    for shot in shots:
        assert shot.stat().st_size > 10_000 and _not_blank(shot), shot
