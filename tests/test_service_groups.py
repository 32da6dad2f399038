"""``groups`` runs equal the multi-party engine's greedy groups (pprl.linkage.multiparty).

pprl.linkage.multiparty is built on another branch (the multi-party issue);
these tests need it and skip, outside CI, until it is merged.
"""

from __future__ import annotations

import os

import numpy as np
import pytest
from service_helpers import make_server
from test_service_api import b64, call, new_project

from pprl.service import Client

if os.environ.get("CI") != "true":
    pytest.importorskip("pprl.linkage.multiparty")


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    srv = make_server("sqlite", tmp_path_factory.mktemp("svc-groups")).start()
    yield srv
    srv.stop()


def three_parties(rng, n=80, width=32):
    base = rng.integers(0, 256, (n, width), dtype=np.uint8)
    out = []
    for _ in range(3):
        noisy = base ^ np.packbits(rng.random((n, width * 8)) < 0.03, axis=1)
        noisy[n // 2:] = rng.integers(0, 256, (n - n // 2, width), dtype=np.uint8)
        out.append(noisy[rng.permutation(n)])
    return out


def test_groups_equal_the_engine(server, rng):
    from pprl.linkage.multiparty import greedy_groups, multiparty_candidates

    clks = three_parties(rng)
    p = new_project(server, "groups", parties=3)
    pid, rt = p["project_id"], p["result_token"]
    for tok, c in zip(p["update_tokens"], clks, strict=True):
        assert call(server, "POST", f"/projects/{pid}/clks", tok,
                    json={"clks": b64(c)}).status_code == 201
    rid = call(server, "POST", f"/projects/{pid}/runs", rt, json={"threshold": 0.75}).json()
    st = Client(server.url).wait(pid, rid["run_id"], rt, timeout=60, poll=0.1)
    assert st["state"] == "completed", st
    got = call(server, "GET", f"/projects/{pid}/runs/{rid['run_id']}/result", rt).json()
    ref = [g for g in greedy_groups(multiparty_candidates(clks, 0.75)).to_lists()
           if len(g) >= 2]  # the entity service's shape omits records left alone
    as_set = lambda gs: {frozenset(map(tuple, g)) for g in gs}  # noqa: E731
    assert as_set(got["groups"]) == as_set(ref)
    assert len(ref) >= 30 and max(len(g) for g in ref) == 3
    # an upload token reads no groups
    assert call(server, "GET", f"/projects/{pid}/runs/{rid['run_id']}/result",
                p["update_tokens"][0]).status_code == 403
