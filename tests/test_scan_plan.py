"""Scan planning: explored blocks, their gaps, tiles, and the per-call choice of the
instruction-set path (timed on the call's own data, reported, results unchanged)."""

from __future__ import annotations

import numpy as np
import pytest
from conftest import NATIVE, NATIVE_REASON

import pprl
from pprl.linkage import _plan, similarity


@pytest.fixture(autouse=True)
def _no_remembered_winners(monkeypatch):
    monkeypatch.setattr(_plan, "_WINNERS", {})


def time_every_call(monkeypatch) -> None:
    """Make even tiny scans time their paths (blocks of any size, any share repeated)."""
    monkeypatch.setattr(_plan, "TIME_PATHS_ABOVE", 0)
    monkeypatch.setattr(_plan, "MIN_TIMED_PAIRS", 1)
    monkeypatch.setattr(_plan, "TIMING_SHARE", 1.0)


def test_explore_blocks_are_disjoint_spread_and_rotate_the_paths():
    blocks = _plan.explore_blocks(100_000, ["x", "y", "z"])
    assert len(blocks) == _plan.EXPLORE_ROUNDS == 3
    assert {i1 - i0 for i0, i1, _ in blocks} == {int(100_000 * _plan.EXPLORE_FRACTION / 3)}
    assert blocks[0][0] == 0 and blocks[-1][1] == 100_000  # from the first row to the last
    assert all(blocks[j][1] <= blocks[j + 1][0] for j in range(2))
    orders = [order for _, _, order in blocks]
    assert orders == [["x", "y", "z"], ["y", "z", "x"], ["z", "x", "y"]]  # each leads once
    assert _plan.explore_blocks(50, ["x", "y", "z"]) == []  # too short to explore


@pytest.mark.parametrize("n", [1, 7, 1000, 12_345])
def test_tiles_and_explored_blocks_cover_every_row_once(n):
    blocks = _plan.explore_blocks(n, ["x", "y"])
    tiles = _plan.tiles(n, 500, 2, None, _plan.gaps(n, blocks))
    covered = np.zeros(n, dtype=int)
    for i0, i1 in tiles + [(i0, i1) for i0, i1, _ in blocks]:
        covered[i0:i1] += 1
    assert np.all(covered == 1)
    assert all(i1 - i0 <= 3 for i0, i1 in _plan.tiles(n, 500, 2, 3))


def test_clear_losers_drop_out_of_the_race():
    times = {"a": [1.0, 1.0], "b": [1.2, 1.2], "c": [1.3, 1.3]}
    assert _plan.still_in_the_race(times) == ["a", "b"]
    assert _plan.still_in_the_race({"a": [0.0]}) == ["a"]


def test_fastest_takes_the_least_total_time():
    assert _plan.fastest({"a": [3.0, 1.0], "b": [1.5, 1.2]}) == "b"
    assert _plan.fastest({"a": [2.0], "b": [2.0]}) == "a"  # ties: the earlier (default) path


@pytest.mark.skipif(not NATIVE, reason=NATIVE_REASON)
def test_the_fastest_path_runs_the_rest_and_is_reported(rng, monkeypatch):
    from pprl.linkage import _native

    paths = [p for p in _native.isas() if p != "portable"]
    if len(paths) < 2:
        pytest.skip("one instruction-set path here: nothing to choose")
    time_every_call(monkeypatch)
    monkeypatch.setattr(_plan, "EXPLORE_FRACTION", 0.3)
    chosen = paths[-1]  # not the default path
    monkeypatch.setattr(_plan, "fastest", lambda times: chosen)
    monkeypatch.setattr(_plan, "still_in_the_race", lambda times: list(times))
    seen = []
    real = _native.scan

    def spy(*args, isa=None, **kwargs):
        seen.append(isa)
        return real(*args, isa=isa, **kwargs)

    monkeypatch.setattr(_native, "scan", spy)
    a = np.packbits(rng.random((300, 512)) < 0.3, axis=1)
    b = np.concatenate([a[::2] ^ np.packbits(rng.random((150, 512)) < 0.03, axis=1),
                        np.packbits(rng.random((100, 512)) < 0.3, axis=1)])
    want = similarity.candidate_pairs(a, b, 0.5, backend="numpy")
    assert pprl.available_backends()["last_isa"] is None  # numpy reports no path
    got = similarity.candidate_pairs(a, b, 0.5, threads=2)
    np.testing.assert_array_equal(got.score, want.score)
    np.testing.assert_array_equal(got.a, want.a)
    np.testing.assert_array_equal(got.b, want.b)
    explored = len(paths) * _plan.EXPLORE_ROUNDS
    assert sorted(seen[:explored]) == sorted(paths * _plan.EXPLORE_ROUNDS)  # each in each round
    assert set(seen[explored:]) == {chosen}  # the rest on the chosen one
    info = pprl.available_backends()
    assert info["last_isa"] == chosen
    assert set(info["last_timings"]) == set(paths)
    assert all(t > 0 for t in info["last_timings"].values())

    # a similar call runs on the remembered winner at once, untimed
    seen.clear()
    again = similarity.candidate_pairs(a[::-1].copy(), b, 0.5, threads=2)
    assert len(again) == len(want) and set(seen) == {chosen}
    assert pprl.available_backends()["last_timings"] == {}
    # one that differs (another threshold) is timed again
    seen.clear()
    similarity.candidate_pairs(a, b, 0.7, threads=2)
    assert sorted(seen[:explored]) == sorted(paths * _plan.EXPLORE_ROUNDS)


def test_timed_blocks_are_long_enough_and_cheap_enough():
    paths = ["avx512", "avx2", "popcnt"]
    # the old probe: 3 blocks of 10 rows x 7,000 (0.3 ms each) timed noise; now no timing
    assert _plan.explore_blocks(3000, paths, 7000) == []
    for n, m, rounds in ((10_000, 10_000, 1), (1_000_000, 10_000, 3), (200_000, 200_000, 3),
                         (50_000, 1_000_000, 3), (10_000, 10_000, 2)):
        ps = paths[:2] if rounds == 2 else paths  # two paths (AVX2 CPUs): two rounds fit
        blocks = _plan.explore_blocks(n, ps, m)
        assert len(blocks) == rounds
        part = [(i1 - i0) // len(ps) for i0, i1, _ in blocks]  # each path's share of a round
        assert min(part) * m >= _plan.MIN_TIMED_PAIRS
        losers = (len(ps) - 1) * sum(part)  # rows the paths that lose run, nothing twice
        assert losers <= _plan.TIMING_SHARE * n
    assert len(_plan.explore_blocks(1_000_000, ["avx2"], 10)) == _plan.EXPLORE_ROUNDS  # one path


def test_remembered_winners_are_keyed_by_similar_inputs():
    key = _plan.similar(1024, 0.8, None, 10_000)
    assert key == _plan.similar(1024, 0.801, None, 12_000)
    assert key != _plan.similar(1024, 0.8, 10, 10_000)
    assert key != _plan.similar(1024, 0.8, None, 20_000)
    assert key != _plan.similar(2048, 0.8, None, 10_000)
    _plan.remember(key, "avx2")
    assert _plan.remembered(key, ["popcnt", "avx2"]) == "avx2"
    assert _plan.remembered(key, ["popcnt"]) is None  # a path this call may not use


@pytest.mark.skipif(not NATIVE, reason=NATIVE_REASON)
def test_a_call_too_small_to_time_runs_on_the_process_wide_path(rng, monkeypatch):
    from pprl.linkage import _native

    seen = []
    real = _native.scan
    monkeypatch.setattr(_native, "scan",
                        lambda *args, isa=None, **kw: seen.append(isa) or real(*args, isa=isa,
                                                                               **kw))
    a = np.packbits(rng.random((300, 256)) < 0.3, axis=1)
    similarity.candidate_pairs(a, a, 0.6, threads=2)
    assert set(seen) == {_native.isa()}
    assert pprl.available_backends()["last_timings"] == {}


@pytest.mark.skipif(not NATIVE, reason=NATIVE_REASON)
def test_a_forced_path_is_never_explored(rng, monkeypatch):
    from pprl.linkage import _native

    monkeypatch.setattr(_plan, "TIME_PATHS_ABOVE", 0)
    monkeypatch.setenv("PPRL_DICE_ISA", _native.isa())
    seen = []
    real = _native.scan
    monkeypatch.setattr(_native, "scan",
                        lambda *args, isa=None, **kw: seen.append(isa) or real(*args, isa=isa,
                                                                               **kw))
    a = np.packbits(rng.random((200, 256)) < 0.3, axis=1)
    similarity.candidate_pairs(a, a, 0.6)
    assert set(seen) == {_native.isa()}
    assert pprl.available_backends()["last_timings"] == {}
