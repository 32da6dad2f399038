"""The service from the command line: the README walkthrough, ``pprl project`` and the
entity service's own client (anonlink-client 0.1.5) against ``pprl serve``."""

from __future__ import annotations

import json
import os
import re
import shutil
import stat
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from service_helpers import Server, free_port

from pprl import candidate_pairs, greedy_match, write_clks

README = Path(__file__).resolve().parents[1] / "README.md"
BIN = Path(sys.executable).parent
ENV = dict(os.environ, PATH=f"{BIN}{os.pathsep}{os.environ['PATH']}")


def sh(block: str, cwd: Path, **kw) -> subprocess.CompletedProcess:
    r = subprocess.run(["bash", "-e", "-o", "pipefail", "-c", block], cwd=cwd, env=ENV,
                       capture_output=True, text=True, timeout=300, check=False, **kw)
    assert r.returncode == 0, f"{block}\n{r.stderr[-3000:]}"
    return r


def test_readme_three_terminal_walkthrough(tmp_path):
    text = README.read_text(encoding="utf-8").split("## The linkage service", 1)[1]
    text = text.split("\n## ", 1)[0]
    blocks = re.findall(r"```bash\n(.*?)```", text, re.S)
    assert len(blocks) == 4, "README: the walkthrough has 4 blocks (server, 2, 3, 2)"
    port = str(free_port())
    blocks = [b.replace("8851", port) for b in blocks]
    server = subprocess.Popen(["bash", "-c", "exec " + blocks[0].split("#")[0]], cwd=tmp_path,
                              env=ENV, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        import httpx

        for _ in range(300):
            try:
                if httpx.get(f"http://127.0.0.1:{port}/api/v1/status").status_code == 200:
                    break
            except httpx.HTTPError:
                import time

                time.sleep(0.1)
        sh(blocks[1], tmp_path)
        for name in ("project.json", "project.party-0.json", "project.party-1.json"):
            assert stat.S_IMODE((tmp_path / name).stat().st_mode) == 0o600
        sh(blocks[2], tmp_path)
        r = sh(blocks[3], tmp_path)
    finally:
        server.terminate()
        server.wait(20)
    metrics = json.loads(r.stdout[r.stdout.index("{"):])
    assert metrics["recall"] > 0.9
    scores = pd.read_csv(tmp_path / "scores.csv")
    assert list(scores.columns) == ["a", "b", "score"] and (scores.score >= 0.8).all()
    assert not list((tmp_path / "service-data").rglob("*.csv")), "plaintext on the server"


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    srv = Server(tmp_path_factory.mktemp("svc-cli") / "data").start()
    yield srv
    srv.stop()


def clks(rng, n, m, width=128):
    a = rng.integers(0, 256, (n, width), dtype=np.uint8)
    b = rng.integers(0, 256, (m, width), dtype=np.uint8)
    k = min(n, m) // 2
    b[:k] = a[:k] ^ np.packbits(rng.random((k, width * 8)) < 0.03, axis=1)
    return a, b


SCHEMA = Path(__file__).resolve().parents[1] / "pprl" / "data" / "schemas" / "person.json"


@pytest.mark.skipif(shutil.which("anonlink", path=str(BIN)) is None,
                    reason="anonlink-client is in the test extra")
def test_anonlink_client_0_1_5_commands_work_unchanged(server, tmp_path, rng):
    a, b = clks(rng, 120, 100)
    write_clks(a, tmp_path / "a.json")
    write_clks(b, tmp_path / "b.json")
    url = server.url

    def anonlink(*args):
        r = subprocess.run([str(BIN / "anonlink"), *args], cwd=tmp_path, env=ENV,
                           capture_output=True, text=True, timeout=120, check=False)
        assert r.returncode == 0, r.stderr[-2000:]
        return r

    st = json.loads(anonlink("status", "--server", url).stdout)
    assert st["status"] == "ok"
    anonlink("create-project", "--server", url, "--type", "similarity_scores", "--schema",
             str(SCHEMA), "--name", "es", "-o", "creds.json")
    creds = json.loads((tmp_path / "creds.json").read_text())
    pid = creds["project_id"]
    for tok, f in zip(creds["update_tokens"], ("a.json", "b.json"), strict=True):
        anonlink("upload", "--server", url, "--project", pid, "--apikey", tok, f,
                 "-o", f"receipt-{f}")
        assert len(json.loads((tmp_path / f"receipt-{f}").read_text())["receipt_token"]) == 48
    anonlink("create", "--server", url, "--project", pid, "--apikey", creds["result_token"],
             "--threshold", "0.8", "--name", "r", "-o", "run.json")
    rid = json.loads((tmp_path / "run.json").read_text())["run_id"]
    anonlink("results", "--server", url, "--project", pid, "--apikey", creds["result_token"],
             "--run", rid, "--watch", "-o", "result.json")
    got = json.loads((tmp_path / "result.json").read_text())["similarity_scores"]
    ref = candidate_pairs(a, b, 0.8)
    assert [(x[0][1], x[1][1], x[2]) for x in got] == list(
        zip(ref.a.tolist(), ref.b.tolist(), ref.score.tolist(), strict=True))
    assert len(got) >= 45
    anonlink("delete", "--server", url, "--project", pid, "--run", rid,
             "--apikey", creds["result_token"])


@pytest.fixture
def pprl(capsys, monkeypatch):
    """``pprl …`` in this process (the command line's main), in the test's folder."""
    from pprl.cli import main

    def run(*args, cwd, expect=0):
        monkeypatch.chdir(cwd)
        capsys.readouterr()
        rc = main([str(a) for a in args])
        out = capsys.readouterr()
        assert rc == expect, out.err[-2000:]
        return subprocess.CompletedProcess(args, rc, out.out, out.err)
    return run


def test_pprl_project_permutations_npy_upload_and_csv(server, tmp_path, rng, pprl):
    a, b = clks(rng, 90, 110)
    np.save(tmp_path / "a.npy", a)
    write_clks(b, tmp_path / "b.json", ids=[f"id{i}" for i in range(len(b))])
    url = server.url
    pprl("project", "create", "--server", url, "--schema", str(SCHEMA), "--type",
         "permutations", "-o", "p.json", cwd=tmp_path)
    doc = json.loads((tmp_path / "p.json").read_text())
    assert set(doc) >= {"project_id", "result_token", "update_tokens"}
    r = pprl("project", "upload", "--server", url, "--tokens", "p.party-0.json", "a.npy",
             cwd=tmp_path)
    assert "90 CLKs" in r.stderr
    # the receipt token is kept with the party's token, still 0600
    assert "receipt_token" in json.loads((tmp_path / "p.party-0.json").read_text())
    assert stat.S_IMODE((tmp_path / "p.party-0.json").stat().st_mode) == 0o600
    pprl("project", "upload", "--server", url, "--tokens", "p.json", "--party", "1", "b.json",
         cwd=tmp_path)
    rid = pprl("project", "run", "--server", url, "--tokens", "p.json", "--threshold", "0.8",
               cwd=tmp_path).stdout.strip()
    assert re.fullmatch(r"[0-9a-f]{48}", rid)
    pprl("project", "results", "--server", url, "--tokens", "p.json", "--run", rid, "--watch",
         "--no-progress", "-o", "mask.csv", cwd=tmp_path)
    for i in (0, 1):
        pprl("project", "results", "--server", url, "--tokens", f"p.party-{i}.json", "--run",
             rid, "-o", f"perm{i}.csv", cwd=tmp_path)
    mask = pd.read_csv(tmp_path / "mask.csv")
    p0, p1 = (pd.read_csv(tmp_path / f"perm{i}.csv") for i in (0, 1))
    assert list(mask.columns) == ["position", "mask"] and list(p0.columns) == ["row", "position"]
    at0 = dict(zip(p0.position, p0.row, strict=True))
    at1 = dict(zip(p1.position, p1.row, strict=True))
    got = sorted((at0[q], at1[q]) for q in mask.position[mask["mask"] == 1])
    g = greedy_match(candidate_pairs(a, b, 0.8))
    assert got == sorted(zip(g.a.tolist(), g.b.tolist(), strict=True)) and len(got) >= 40
    st = json.loads(pprl("project", "status", "--server", url, "--tokens", "p.json", "--run",
                         rid, cwd=tmp_path).stdout)
    assert st["state"] == "completed"
    pprl("project", "delete", "--server", url, "--tokens", "p.json", cwd=tmp_path)
    r = pprl("project", "status", "--server", url, "--tokens", "p.json", "--run", rid,
             cwd=tmp_path, expect=1)
    assert "404" in r.stderr and doc["result_token"] not in r.stderr


def test_pprl_project_bad_input_is_one_line_exit_2(server, tmp_path, pprl):
    r = pprl("project", "upload", "--server", server.url, "--tokens", "missing.json", "x.json",
             cwd=tmp_path, expect=2)
    assert r.stderr.count("\n") == 1 and "missing.json" in r.stderr
    (tmp_path / "t.json").write_text(json.dumps({"project_id": "ab" * 24,
                                                 "result_token": "cd" * 24}))
    r = pprl("project", "results", "--server", server.url, "--tokens", "t.json", "--run",
             "x", "-o", "out.csv", cwd=tmp_path, expect=1)
    assert "404" in r.stderr and "cd" * 24 not in r.stderr
    assert not (tmp_path / "out.csv").exists()


def test_serve_refuses_an_unmigrated_postgres_and_migrate_fixes_it(tmp_path):
    from service_helpers import postgres_database

    url = postgres_database()
    cmd = [sys.executable, "-m", "pprl.cli", "serve", "--data-dir", str(tmp_path / "d"),
           "--database", url, "--port", str(free_port())]
    r = subprocess.run(cmd, capture_output=True, text=True, timeout=60, env=ENV, check=False)
    assert r.returncode == 2 and "--migrate" in r.stderr and r.stderr.count("\n") == 1
    srv = Server(tmp_path / "d2", database=url).start(migrate=True)
    srv.stop()  # (a start without --migrate on a current Postgres: the SIGKILL test's restart)
