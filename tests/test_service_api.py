"""Every v1 endpoint against a real ``pprl serve`` (uvicorn), on SQLite and on Postgres."""

from __future__ import annotations

import base64
import json

import httpx
import numpy as np
import pytest
from service_helpers import BACKENDS, make_server

from pprl import candidate_pairs, greedy_match
from pprl.service import Client, ServiceError

API = "/api/v1"
SCHEMA = {"version": 3, "clkConfig": {"l": 256, "kdf": {"type": "HKDF"}}, "features": []}


@pytest.fixture(scope="module", params=BACKENDS)
def server(request, tmp_path_factory):
    srv = make_server(request.param, tmp_path_factory.mktemp(f"svc-{request.param}")).start()
    yield srv
    srv.stop()
    assert "Traceback" not in srv.logs(), srv.logs()[-3000:]


def pair(rng, n=300, m=250, width=32, overlap=None, flip=0.03):
    overlap = min(n, m) // 2 if overlap is None else overlap
    a = rng.integers(0, 256, (n, width), dtype=np.uint8)
    b = rng.integers(0, 256, (m, width), dtype=np.uint8)
    noise = (rng.random((overlap, width * 8)) < flip)
    b[:overlap] = a[:overlap] ^ np.packbits(noise, axis=1)
    return a, b


def b64(clks):
    return [base64.b64encode(r.tobytes()).decode() for r in clks]


def call(server, method, path, token=None, **kw):
    headers = kw.pop("headers", {})
    if token is not None:
        headers["Authorization"] = token
    return httpx.request(method, server.url + API + path, headers=headers, timeout=60, **kw)


def new_project(server, result_type="similarity_scores", parties=2, **kw):
    r = call(server, "POST", "/projects", json={"schema": SCHEMA, "result_type": result_type,
                                                "number_parties": parties, **kw})
    assert r.status_code == 201, r.text
    return r.json()


def problem(r, status):
    assert r.status_code == status, r.text
    assert r.headers["content-type"].startswith("application/problem+json")
    body = r.json()
    assert body["status"] == status and body["title"] and body["detail"]
    return body["detail"]


def test_status_version_and_docs(server):
    r = call(server, "GET", "/status")
    assert r.status_code == 200 and r.json()["status"] == "ok"
    assert isinstance(r.json()["project_count"], int)
    v = call(server, "GET", "/version").json()
    assert v["entityservice"] == "v1.13" and v["pprl"]
    spec = httpx.get(server.url + "/openapi.json").json()
    assert f"{API}/projects/{{project_id}}/binaryclks" in spec["paths"]
    assert httpx.get(server.url + "/docs").status_code == 200


def test_create_list_describe_project(server):
    p = new_project(server, name="n", notes="x")
    assert len(p["project_id"]) == 48 and len(p["result_token"]) == 48
    assert len(p["update_tokens"]) == 2 and len(set(p["update_tokens"])) == 2
    ids = [q["project_id"] for q in call(server, "GET", "/projects").json()]
    assert p["project_id"] in ids
    for tok in (p["result_token"], p["update_tokens"][1]):
        d = call(server, "GET", f"/projects/{p['project_id']}", tok).json()
        assert d["schema"] == SCHEMA and d["result_type"] == "similarity_scores"
        assert d["number_parties"] == 2 and d["parties_contributed"] == 0 and d["name"] == "n"


@pytest.mark.parametrize("body, what", [
    ({"result_type": "groups"}, "schema"),
    ({"schema": SCHEMA, "result_type": "clusters"}, "result_type"),
    ({"schema": SCHEMA, "result_type": "permutations", "number_parties": 3}, "groups"),
    ({"schema": SCHEMA, "result_type": "groups", "number_parties": 1}, "number_parties"),
])
def test_create_project_bad_input_is_400(server, body, what):
    assert what in problem(call(server, "POST", "/projects", json=body), 400)


def test_similarity_scores_equal_the_library(server, rng):
    a, b = pair(rng)
    p = new_project(server)
    pid, (ta, tb), rt = p["project_id"], p["update_tokens"], p["result_token"]
    r = call(server, "POST", f"/projects/{pid}/clks", ta, json={"clks": b64(a)})
    assert r.status_code == 201 and len(r.json()["receipt_token"]) == 48
    r = call(server, "POST", f"/projects/{pid}/binaryclks", tb, content=b.tobytes(),
             headers={"Hash-Count": str(len(b)), "Hash-Size": "32",
                      "Content-Type": "application/octet-stream"})
    assert r.status_code == 201, r.text
    run = call(server, "POST", f"/projects/{pid}/runs", rt, json={"threshold": 0.7}).json()
    c = Client(server.url)
    st = c.wait(pid, run["run_id"], rt, timeout=60, poll=0.1)
    assert st["state"] == "completed" and st["stages"] == 2, st
    res = call(server, "GET", f"/projects/{pid}/runs/{run['run_id']}/result", rt).json()
    got = [(x[0][1], x[1][1], x[2]) for x in res["similarity_scores"]]
    ref = candidate_pairs(a, b, 0.7)
    assert got == list(zip(ref.a.tolist(), ref.b.tolist(), ref.score.tolist(), strict=False))
    assert len(got) >= 100
    assert all(x[0][0] == 0 and x[1][0] == 1 for x in res["similarity_scores"])
    runs = call(server, "GET", f"/projects/{pid}/runs", rt).json()
    assert [r["run_id"] for r in runs] == [run["run_id"]] and runs[0]["state"] == "completed"
    d = call(server, "GET", f"/projects/{pid}/runs/{run['run_id']}", rt).json()
    assert d["threshold"] == 0.7 and d["blocking"] == "none"
    # the quality estimate without truth: for the result token only
    q = st["quality"]
    assert q["threshold_used"] == 0.7 and len(q["f1"]) == len(q["thresholds"]) > 10
    assert {"precision", "recall", "f1_low", "f1_high", "suggested_threshold",
            "reliable"} <= set(q)
    for token in (ta, tb):
        seen = call(server, "GET", f"/projects/{pid}/runs/{run['run_id']}/status", token).json()
        assert seen["state"] == "completed" and "quality" not in seen


def test_run_queued_before_last_upload_starts_when_it_arrives(server, rng):
    a, b = pair(rng, 120, 100)
    p = new_project(server, "permutations")
    pid, (ta, tb), rt = p["project_id"], p["update_tokens"], p["result_token"]
    run = call(server, "POST", f"/projects/{pid}/runs", rt,
               json={"threshold": 0.75, "seed": 3}).json()
    st = call(server, "GET", f"/projects/{pid}/runs/{run['run_id']}/status", rt).json()
    assert st["state"] == "created" and st["current_stage"]["number"] == 1
    assert call(server, "POST", f"/projects/{pid}/clks", ta, json={"clks": b64(a)}).status_code \
        == 201
    st = call(server, "GET", f"/projects/{pid}/runs/{run['run_id']}/status", rt).json()
    assert st["state"] == "created" and st["current_stage"]["progress"]["absolute"] == 1
    receipt_b = call(server, "POST", f"/projects/{pid}/clks", tb,
                     json={"clks": b64(b)}).json()["receipt_token"]
    st = Client(server.url).wait(pid, run["run_id"], rt, timeout=60, poll=0.1)
    assert st["state"] == "completed" and st["stages"] == 3
    url = f"/projects/{pid}/runs/{run['run_id']}/result"
    mask = np.array(call(server, "GET", url, rt).json()["mask"])
    pa = call(server, "GET", url, ta).json()
    pb = call(server, "GET", url, receipt_b).json()
    assert pa["rows"] == pb["rows"] == len(mask) == min(len(a), len(b))
    perm_a, perm_b = np.array(pa["permutation"]), np.array(pb["permutation"])
    assert sorted(perm_a) == list(range(len(a))) and sorted(perm_b) == list(range(len(b)))
    # the pairs the mask selects are exactly the greedy pairs
    inv_a, inv_b = np.argsort(perm_a), np.argsort(perm_b)
    sel = np.flatnonzero(mask)
    got = sorted(zip(inv_a[sel].tolist(), inv_b[sel].tolist(), strict=False))
    g = greedy_match(candidate_pairs(a, b, 0.75))
    assert got == sorted(zip(g.a.tolist(), g.b.tolist(), strict=False)) and len(got) > 40


def test_bad_uploads_are_400_store_nothing_and_the_token_can_retry(server, rng):
    a, b = pair(rng, 20, 20)
    p = new_project(server)
    pid, (ta, tb) = p["project_id"], p["update_tokens"]
    good = b64(a)
    short = base64.b64encode(a[0, :16].tobytes()).decode()
    wrong = b64(np.zeros((3, 16), np.uint8))
    cases = [
        ({"clks": good[:3] + ["not base64!"]}, "clks[3]"),
        ({"clks": good[:5] + [short]}, "clks[5]"),
        ({"clks": wrong}, "schema"),
        ({"clks": []}, "empty"),
        ({"clks": [1, 2]}, "clks[0]"),
        ({"encodings": {"file": {"bucket": "x", "path": "y"}}}, "object store"),
        ({"ids": ["x"]}, "ids"),
    ]
    for body, where in cases:
        assert where in problem(call(server, "POST", f"/projects/{pid}/clks", ta, json=body),
                                400), body
    r = call(server, "POST", f"/projects/{pid}/clks", ta, content=b'{"clks": [',
             headers={"Content-Type": "application/json"})
    assert "JSON" in problem(r, 400)
    hdr = {"Hash-Count": "20", "Hash-Size": "32"}
    r = call(server, "POST", f"/projects/{pid}/binaryclks", ta, content=a.tobytes()[:-5],
             headers=hdr)
    assert "row 19" in problem(r, 400)
    r = call(server, "POST", f"/projects/{pid}/binaryclks", ta, content=a.tobytes(),
             headers={"Hash-Count": "21", "Hash-Size": "32"})
    assert "Hash-Count" in problem(r, 400)
    r = call(server, "POST", f"/projects/{pid}/binaryclks", ta, content=a.tobytes(),
             headers={"Hash-Count": "40", "Hash-Size": "16"})
    assert "Hash-Size" in problem(r, 400)
    d = call(server, "GET", f"/projects/{pid}", ta).json()
    assert d["parties_contributed"] == 0
    assert not list((server.data_dir / "projects").glob(f"{pid}/*.clk"))
    assert not list((server.data_dir / "tmp").iterdir())
    assert call(server, "POST", f"/projects/{pid}/clks", ta, json={"clks": good}).status_code \
        == 201
    # a second upload with the same token is a conflict
    problem(call(server, "POST", f"/projects/{pid}/clks", ta, json={"clks": good}), 409)
    # another party's width must agree
    r = call(server, "POST", f"/projects/{pid}/binaryclks", tb, content=bytes(48),
             headers={"Hash-Count": "3", "Hash-Size": "16"})
    problem(r, 400)


def test_token_refusals(server, rng):
    a, b = pair(rng, 30, 30)
    p = new_project(server)
    q = new_project(server)
    pid, (ta, tb), rt = p["project_id"], p["update_tokens"], p["result_token"]
    up = f"/projects/{pid}/clks"
    # no token, a made-up token, another project's tokens: 403
    problem(call(server, "POST", up, None, json={"clks": b64(a)}), 403)
    problem(call(server, "POST", up, "0" * 48, json={"clks": b64(a)}), 403)
    for tok in (q["result_token"], q["update_tokens"][0]):
        problem(call(server, "POST", up, tok, json={"clks": b64(a)}), 403)
        problem(call(server, "GET", f"/projects/{pid}", tok), 403)
        problem(call(server, "POST", f"/projects/{pid}/runs", tok, json={"threshold": .8}), 403)
        problem(call(server, "DELETE", f"/projects/{pid}", tok), 403)
    # the result token cannot upload
    assert "result token" in problem(call(server, "POST", up, rt, json={"clks": b64(a)}), 403)
    receipt_a = call(server, "POST", up, ta, json={"clks": b64(a)}).json()["receipt_token"]
    call(server, "POST", up, tb, json={"clks": b64(b)})
    # upload tokens create no runs and read no scores
    problem(call(server, "POST", f"/projects/{pid}/runs", ta, json={"threshold": .8}), 403)
    run = call(server, "POST", f"/projects/{pid}/runs", rt, json={"threshold": .8}).json()
    rid = run["run_id"]
    Client(server.url).wait(pid, rid, rt, timeout=60, poll=0.1)
    for tok in (ta, tb, receipt_a):
        problem(call(server, "GET", f"/projects/{pid}/runs/{rid}/result", tok), 403)
        problem(call(server, "DELETE", f"/projects/{pid}/runs/{rid}", tok), 403)
        problem(call(server, "DELETE", f"/projects/{pid}", tok), 403)
    problem(call(server, "GET", f"/projects/{pid}/runs/{rid}/result",
                 q["result_token"]), 403)
    # the token never appears in any answer
    r = call(server, "POST", up, "f" * 48 + "secret", json={"clks": b64(a)})
    assert "secret" not in r.text and "f" * 48 not in r.text


def test_permutation_tokens_read_only_their_own(server, rng):
    a, b = pair(rng, 40, 40)
    p = new_project(server, "permutations")
    pid, (ta, tb), rt = p["project_id"], p["update_tokens"], p["result_token"]
    call(server, "POST", f"/projects/{pid}/clks", ta, json={"clks": b64(a)})
    call(server, "POST", f"/projects/{pid}/clks", tb, json={"clks": b64(b)})
    rid = call(server, "POST", f"/projects/{pid}/runs", rt, json={"threshold": .8}).json()["run_id"]
    Client(server.url).wait(pid, rid, rt, timeout=60, poll=0.1)
    url = f"/projects/{pid}/runs/{rid}/result"
    ra, rb, rm = (call(server, "GET", url, t).json() for t in (ta, tb, rt))
    assert set(ra) == {"permutation", "rows"} and set(rm) == {"mask"}
    assert ra["permutation"] != rb["permutation"] or len(a) == 1


def test_unknown_resources_404_and_deleted_project_409(server, rng):
    a, _ = pair(rng, 10, 10)
    p = new_project(server)
    pid, rt, ta = p["project_id"], p["result_token"], p["update_tokens"][0]
    problem(call(server, "GET", "/projects/" + "ab" * 24, rt), 404)
    problem(call(server, "GET", f"/projects/{pid}/runs/{'cd' * 24}", rt), 404)
    problem(call(server, "GET", f"/projects/{pid}/runs/{'cd' * 24}/status", rt), 404)
    problem(call(server, "GET", f"/projects/{pid}/authorize-external-upload", ta), 501)
    problem(call(server, "GET", f"/projects/{pid}/authorize-external-upload", rt), 403)
    rid = call(server, "POST", f"/projects/{pid}/runs", rt, json={"threshold": .9}).json()["run_id"]
    problem(call(server, "GET", f"/projects/{pid}/runs/{rid}/result", rt), 404)
    assert call(server, "DELETE", f"/projects/{pid}/runs/{rid}", rt).status_code == 204
    problem(call(server, "GET", f"/projects/{pid}/runs/{rid}", rt), 404)
    assert call(server, "POST", f"/projects/{pid}/clks", ta, json={"clks": b64(a)}) \
        .status_code == 201
    assert (server.data_dir / "projects" / pid).exists()
    assert call(server, "DELETE", f"/projects/{pid}", rt).status_code == 204
    assert not (server.data_dir / "projects" / pid).exists()
    problem(call(server, "GET", f"/projects/{pid}", rt), 404)
    problem(call(server, "POST", f"/projects/{pid}/runs", rt, json={"threshold": .9}), 409)
    problem(call(server, "POST", f"/projects/{pid}/clks", p["update_tokens"][1],
                 json={"clks": b64(a)}), 409)
    assert pid not in [q["project_id"] for q in call(server, "GET", "/projects").json()]


def test_bad_run_parameters_are_400(server):
    p = new_project(server)
    for body in ({}, {"threshold": 1.5}, {"threshold": 0.8, "blocking": "magic"},
                 {"threshold": 0.8, "k": 0}):
        problem(call(server, "POST", f"/projects/{p['project_id']}/runs", p["result_token"],
                     json=body), 400)


def test_blocks_restrict_the_pairs(server, rng):
    a, b = pair(rng, 60, 60)
    p = new_project(server, uses_blocking=True)
    pid, (ta, tb), rt = p["project_id"], p["update_tokens"], p["result_token"]
    blocks_a = [["even" if i % 2 == 0 else "odd"] for i in range(60)]
    blocks_b = [["even"] for _ in range(60)]
    problem(call(server, "POST", f"/projects/{pid}/clks", ta, json={"clks": b64(a)}), 400)
    body_a = {"clknblocks": [[c, *bl] for c, bl in zip(b64(a), blocks_a, strict=False)]}
    body_b = {"encodings": b64(b), "blocks": {str(i): bl for i, bl in enumerate(blocks_b)}}
    assert call(server, "POST", f"/projects/{pid}/clks", ta, json=body_a).status_code == 201
    assert call(server, "POST", f"/projects/{pid}/clks", tb, json=body_b).status_code == 201
    rid = call(server, "POST", f"/projects/{pid}/runs", rt, json={"threshold": .7}).json()["run_id"]
    assert Client(server.url).wait(pid, rid, rt, timeout=60, poll=0.1)["state"] == "completed"
    got = call(server, "GET", f"/projects/{pid}/runs/{rid}/result", rt).json()
    ref = candidate_pairs(a, b, 0.7)
    even = ref.a % 2 == 0
    assert [(x[0][1], x[1][1], x[2]) for x in got["similarity_scores"]] == \
        list(zip(ref.a[even].tolist(), ref.b[even].tolist(), ref.score[even].tolist(),
                 strict=True))
    assert even.sum() < len(ref)


def test_client_errors_name_the_status_not_the_token(server):
    c = Client(server.url)
    with pytest.raises(ServiceError) as info:
        c.project("ab" * 24, "s3cr3t" * 8)
    assert info.value.status == 404 and "s3cr3t" not in str(info.value)
    assert json.dumps(c.status())


def test_tokens_never_reach_disk_database_or_logs(server, rng):
    a, b = pair(rng, 30, 30)
    p = new_project(server, "permutations")
    pid, (ta, tb), rt = p["project_id"], p["update_tokens"], p["result_token"]
    receipts = [call(server, "POST", f"/projects/{pid}/clks", t, json={"clks": b64(x)})
                .json()["receipt_token"] for t, x in ((ta, a), (tb, b))]
    rid = call(server, "POST", f"/projects/{pid}/runs", rt, json={"threshold": .8}).json()["run_id"]
    Client(server.url).wait(pid, rid, rt, timeout=60, poll=0.1)
    call(server, "GET", f"/projects/{pid}/runs/{rid}/result", receipts[0])
    call(server, "GET", f"/projects/{pid}", "0" * 48)  # a refused token
    secrets_ = [t.encode() for t in (ta, tb, rt, *receipts, "0" * 48)]
    blobs = [f.read_bytes() for f in server.data_dir.rglob("*") if f.is_file()]
    blobs.append(server.logs().encode())
    if server.database:  # Postgres: every row of every table, as text
        import psycopg

        with psycopg.connect(server.database) as conn:
            for table in ("projects", "parties", "runs"):
                blobs.append(repr(conn.execute(f"SELECT * FROM {table}").fetchall()).encode())
    assert blobs and any(pid.encode() in blob for blob in blobs)  # the search can find things
    for blob in blobs:
        for s in secrets_:
            assert s not in blob
