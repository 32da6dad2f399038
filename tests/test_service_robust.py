"""The service under stress: SIGKILL mid-run, eight concurrent clients, schemathesis."""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor

import httpx
import numpy as np
import pytest
from hypothesis import settings
from service_helpers import BACKENDS, Server, make_server
from test_service_api import SCHEMA, b64

from pprl import candidate_pairs, greedy_match
from pprl.service import Client


@pytest.mark.parametrize("kind", BACKENDS)
def test_sigkill_mid_run_then_restart_finishes_the_run(kind, tmp_path, rng):
    srv = make_server(kind, tmp_path)
    srv.start()
    c = Client(srv.url)
    n, width = 40_000, 128
    a = rng.integers(0, 256, (n, width), dtype=np.uint8)
    b = rng.integers(0, 256, (n, width), dtype=np.uint8)
    b[:50] = a[:50]
    p = c.create_project({**SCHEMA, "clkConfig": {"l": 1024}}, "similarity_scores")
    pid, rt = p["project_id"], p["result_token"]
    try:
        c.upload(pid, p["update_tokens"][0], a)
        c.upload(pid, p["update_tokens"][1], b)
        rid = c.create_run(pid, rt, 0.9)["run_id"]
        seen = set()
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            st = c.run_status(pid, rid, rt)
            rel = st["current_stage"]["progress"]["relative"]
            if st["state"] == "running":
                seen.add(rel)
            if st["state"] == "running" and 0 < rel < 1:
                break
            assert st["state"] in ("queued", "running"), st
            time.sleep(0.02)
        assert st["state"] == "running" and 0 < rel < 1, f"no progress seen: {st}"
        srv.kill()
        srv.start(migrate=False)
        assert c.project(pid, rt)["parties_contributed"] == 2  # no upload lost
        st = c.wait(pid, rid, rt, timeout=180, poll=0.1)
        assert st["state"] == "completed", st
        res = c.result(pid, rid, rt)["similarity_scores"]
        ref = candidate_pairs(a, b, 0.9)
        assert [(x[0][1], x[1][1], x[2]) for x in res] == list(
            zip(ref.a.tolist(), ref.b.tolist(), ref.score.tolist(), strict=True))
        assert len(res) == 50
    finally:
        srv.stop()


def test_a_run_killed_too_often_is_marked_error(tmp_path, rng):
    """recover(): a run found 'running' for the third time gives up with a message."""
    from pprl.service.server.db import Run, connect, migrate
    from pprl.service.server.worker import MAX_ATTEMPTS, recover

    url = f"sqlite:///{tmp_path / 'x.db'}"
    migrate(url)
    _, sessions = connect(url)
    with sessions() as s, s.begin():
        from pprl.service.server.db import Project

        s.add(Project(id="p", name="", notes="", schema={}, result_type="similarity_scores",
                      number_parties=2, uses_blocking=False, result_token_hash="x",
                      deleted=False))
        s.flush()
        for rid, attempts in (("r1", 1), ("r2", MAX_ATTEMPTS)):
            s.add(Run(id=rid, project_id="p", name="", notes="", threshold=0.8, params={},
                      state="running", stage=2, progress_absolute=5, progress_relative=0.5,
                      progress_description="", attempts=attempts))
    assert recover(sessions) == 2
    with sessions() as s:
        r1, r2 = s.get(Run, "r1"), s.get(Run, "r2")
        assert (r1.state, r1.progress_relative) == ("queued", 0.0)
        assert r2.state == "error" and "stopped during this run" in r2.message


def test_eight_concurrent_clients_get_the_librarys_results(tmp_path):
    srv = Server(tmp_path / "data", workers=2).start()
    errors = []

    def one(seed: int):
        rng = np.random.default_rng(seed)
        a = rng.integers(0, 256, (150 + seed, 64), dtype=np.uint8)
        b = rng.integers(0, 256, (140, 64), dtype=np.uint8)
        b[:60] = a[:60] ^ np.packbits(rng.random((60, 512)) < 0.03, axis=1)
        c = Client(srv.url)
        rtype = ("similarity_scores", "permutations")[seed % 2]
        p = c.create_project({**SCHEMA, "clkConfig": {"l": 512}}, rtype)
        pid, rt, (ta, tb) = p["project_id"], p["result_token"], p["update_tokens"]
        rid = c.create_run(pid, rt, 0.8, seed=seed)["run_id"]  # before the uploads
        c.upload(pid, ta, a)
        httpx.post(f"{srv.url}/api/v1/projects/{pid}/clks", headers={"Authorization": tb},
                   json={"clks": b64(b)}, timeout=60).raise_for_status()
        st = c.wait(pid, rid, rt, timeout=120, poll=0.05)
        assert st["state"] == "completed", st
        ref = candidate_pairs(a, b, 0.8)
        if rtype == "similarity_scores":
            got = [(x[0][1], x[1][1], x[2]) for x in c.result(pid, rid, rt)["similarity_scores"]]
            assert got == list(zip(ref.a.tolist(), ref.b.tolist(), ref.score.tolist(),
                                   strict=True))
        else:
            mask = np.array(c.result(pid, rid, rt)["mask"])
            inv = [np.argsort(c.result(pid, rid, t)["permutation"]) for t in (ta, tb)]
            sel = np.flatnonzero(mask)
            g = greedy_match(ref)
            assert sorted(zip(inv[0][sel].tolist(), inv[1][sel].tolist(), strict=True)) == \
                sorted(zip(g.a.tolist(), g.b.tolist(), strict=True))
        return len(ref)

    try:
        with ThreadPoolExecutor(8) as pool:
            futures = [pool.submit(one, s) for s in range(8)]
            for f in futures:
                try:
                    assert f.result() >= 55
                except Exception as exc:  # collect every failure
                    errors.append(repr(exc))
    finally:
        srv.stop()
    assert not errors, errors
    assert " 500 " not in srv.logs() and "Traceback" not in srv.logs(), srv.logs()[-3000:]


def test_openapi_no_server_errors_and_responses_match(tmp_path):
    """schemathesis: every operation of /openapi.json with generated requests (bounded)."""
    schemathesis = pytest.importorskip("schemathesis")
    from hypothesis import HealthCheck, given
    from schemathesis.checks import not_a_server_error
    from schemathesis.specs.openapi.checks import (
        content_type_conformance,
        response_schema_conformance,
        status_code_conformance,
    )

    srv = Server(tmp_path / "data").start()
    try:
        schema = schemathesis.openapi.from_url(srv.url + "/openapi.json")
        n_ops = 0
        for result in schema.get_all_operations():
            op = result.ok()
            n_ops += 1
            checks = [content_type_conformance, response_schema_conformance,
                      status_code_conformance]
            if not op.path.endswith("authorize-external-upload"):  # 501 by design
                checks.append(not_a_server_error)

            def make(op, checks):
                @given(case=op.as_strategy())
                @settings(max_examples=8, deadline=None, database=None,
                          suppress_health_check=list(HealthCheck))
                def check(case):
                    case.call_and_validate(checks=checks)
                return check

            make(op, checks)()
        assert n_ops >= 14
    finally:
        srv.stop()
    assert "Traceback" not in srv.logs(), srv.logs()[-3000:]


def test_runs_on_a_dask_cluster_equal_the_library(tmp_path, rng):
    pytest.importorskip("distributed")
    srv = Server(tmp_path / "data", args=("--dask", "local:1")).start()
    try:
        c = Client(srv.url)
        a = rng.integers(0, 256, (300, 64), dtype=np.uint8)
        b = rng.integers(0, 256, (200, 64), dtype=np.uint8)
        b[:80] = a[:80] ^ np.packbits(rng.random((80, 512)) < 0.03, axis=1)
        p = c.create_project({**SCHEMA, "clkConfig": {"l": 512}}, "similarity_scores")
        pid, rt = p["project_id"], p["result_token"]
        c.upload(pid, p["update_tokens"][0], a)
        c.upload(pid, p["update_tokens"][1], b)
        for ext in ({}, {"blocking": "lsh", "seed": 5}):
            rid = c.create_run(pid, rt, 0.8, **ext)["run_id"]
            assert c.wait(pid, rid, rt, timeout=120, poll=0.1)["state"] == "completed"
            got = [(x[0][1], x[1][1], x[2]) for x in c.result(pid, rid, rt)["similarity_scores"]]
            if ext:
                from pprl.linkage.blocking import choose_lsh, lsh_candidate_pairs

                params = choose_lsh(a, b, 0.8, rng=5).params
                ref, _ = lsh_candidate_pairs(a, b, 0.8, params=params)
            else:
                ref = candidate_pairs(a, b, 0.8)
            assert got == list(zip(ref.a.tolist(), ref.b.tolist(), ref.score.tolist(),
                                   strict=True)) and len(got) >= 75
    finally:
        srv.stop()
