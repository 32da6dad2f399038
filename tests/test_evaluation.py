"""pprl.evaluation (metrics and diagnostics): hand-checkable cases, brute force, sklearn."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pprl import Candidates, InputError
from pprl.evaluation import evaluate_links, threshold_curve
from pprl.evaluation.diagnostics import (
    pair_completeness,
    recall_by_corruption,
    reduction_ratio,
    score_histogram,
)


@pytest.fixture
def rng():
    return np.random.default_rng(20261128)


def greedy_match(c: Candidates) -> Candidates:
    """Reference greedy one-to-one matching (a plain loop), the oracle here."""
    used_a, used_b, keep = set(), set(), []
    for i, (x, y) in enumerate(zip(c.a.tolist(), c.b.tolist(), strict=True)):
        if x not in used_a and y not in used_b:
            used_a.add(x)
            used_b.add(y)
            keep.append(i)
    return Candidates(c.a[keep], c.b[keep], c.score[keep])


def _needs_matching(solver):
    if solver == "greedy":
        try:
            import pprl.linkage.matching  # noqa: F401
        except ImportError as exc:  # the kernel facade is not built yet
            pytest.skip(f"pprl.linkage.matching unavailable: {exc}")


def _cands(pairs_scores):
    a, b, s = zip(*pairs_scores, strict=True)
    return Candidates.from_unsorted(a, b, s)


# --- evaluate_links -------------------------------------------------------------


def test_evaluate_links_by_hand():
    links = [[0, 0], [1, 2], [3, 3]]
    truth = [[0, 0], [1, 1], [3, 3], [4, 4]]
    m = evaluate_links(links, truth)
    assert (m.tp, m.fp, m.fn, m.n_matches, m.n_true) == (2, 1, 2, 3, 4)
    assert m.precision == pytest.approx(2 / 3)
    assert m.recall == pytest.approx(2 / 4)
    assert m.f1 == pytest.approx(2 * (2 / 3) * 0.5 / (2 / 3 + 0.5))
    d = m.to_dict()
    assert set(d) == {"precision", "recall", "f1", "tp", "fp", "fn", "n_matches", "n_true"}


@pytest.mark.parametrize(
    "form",
    [
        lambda a, b: np.column_stack([a, b]),
        lambda a, b: (np.array(a), np.array(b)),
        lambda a, b: pd.DataFrame({"a": a, "b": b, "extra": ["x"] * len(a)}),
        lambda a, b: Candidates.from_unsorted(a, b, np.linspace(1, 0.5, len(a))),
    ],
)
def test_every_pair_form_gives_the_same_answer(form):
    m = evaluate_links(form([0, 1, 2], [0, 2, 2]), form([0, 1, 2], [0, 1, 2]))
    assert (m.tp, m.fp, m.fn) == (2, 1, 1)


def test_threshold_filters_scored_links():
    c = _cands([(0, 0, 0.9), (1, 1, 0.6), (2, 3, 0.7)])
    m = evaluate_links(c, [[0, 0], [1, 1]], threshold=0.65)
    assert (m.tp, m.fp, m.fn, m.threshold) == (1, 1, 1, 0.65)
    with pytest.raises(InputError, match="needs scored links"):
        evaluate_links([[0, 0]], [[0, 0]], threshold=0.5)


def test_empty_conventions():
    m = evaluate_links(np.empty((0, 2), np.int64), [[0, 0]])
    assert (m.precision, m.recall, m.f1) == (1.0, 0.0, 0.0)
    m = evaluate_links([[0, 0]], np.empty((0, 2), np.int64))
    assert (m.precision, m.recall, m.f1) == (0.0, 1.0, 0.0)


@pytest.mark.parametrize(
    ("links", "truth", "match"),
    [
        ([[0, 0], [0, 0]], [[0, 0]], "pair .a=0, b=0. more than once"),
        ([[0, 0]], [[1, 2], [1, 2]], "'truth'.*more than once"),
        ([[-1, 0]], [[0, 0]], "0-based row indices"),
        ([[0.5, 0]], [[0, 0]], "integer row indices"),
        (pd.DataFrame({"x": [0], "b": [0]}), [[0, 0]], "columns 'a' and 'b'"),
        ("nonsense", [[0, 0]], "Candidates, a DataFrame"),
    ],
)
def test_bad_pairs_raise_input_error(links, truth, match):
    with pytest.raises(InputError, match=match):
        evaluate_links(links, truth)


# --- threshold_curve ------------------------------------------------------------


def test_curve_by_hand_counts_missing_true_pairs_in_recall():
    c = _cands([(0, 0, 0.9), (1, 0, 0.8), (1, 1, 0.8), (2, 2, 0.5)])
    truth = [[0, 0], [1, 1], [2, 2], [5, 5]]  # (5, 5) never a candidate
    curve = threshold_curve(c, truth)
    assert curve.thresholds.tolist() == [0.9, 0.8, 0.5]
    assert curve.n_pairs.tolist() == [1, 3, 4]
    assert curve.tp.tolist() == [1, 2, 3]
    assert curve.recall.tolist() == [0.25, 0.5, 0.75]
    assert curve.precision.tolist() == [1.0, pytest.approx(2 / 3), 0.75]
    best = curve.best_f1()
    assert best.threshold == 0.5 and best.tp == 3 and best.fn == 1


def test_curve_at_and_size_at_between_and_beyond_scores():
    c = _cands([(0, 0, 0.9), (1, 1, 0.8), (2, 3, 0.5)])
    curve = threshold_curve(c, [[0, 0], [1, 1]])
    assert curve.at(0.95).n_matches == 0
    assert curve.at(0.85).tp == 1
    assert curve.at(0.8).tp == 2
    assert curve.at(0.0).n_matches == 3
    assert curve.size_at([1.0, 0.9, 0.7, 0.1]).tolist() == [0, 1, 2, 3]


def test_label_free_curve_refuses_precision():
    curve = threshold_curve(_cands([(0, 0, 0.9)]))
    assert curve.tp is None and curve.n_pairs.tolist() == [1]
    with pytest.raises(InputError, match="without truth"):
        curve.precision  # noqa: B018


def test_empty_candidates_curve():
    curve = threshold_curve(Candidates.empty(), [[0, 0]])
    assert len(curve) == 0
    assert curve.best_f1().recall == 0.0
    assert curve.at(0.5).fn == 1


_pair_sets = st.lists(
    st.tuples(st.integers(0, 6), st.integers(0, 6), st.sampled_from([0.3, 0.5, 0.55, 0.8, 1.0])),
    max_size=30,
    unique_by=lambda t: (t[0], t[1]),
)
_truths = st.lists(st.tuples(st.integers(0, 6), st.integers(0, 6)), max_size=10, unique=True)


@pytest.mark.parametrize("solver", ["none", "greedy"])
@settings(max_examples=60, deadline=None)
@given(ps=_pair_sets, truth=_truths)
def test_curve_equals_brute_force_at_every_threshold(ps, truth, solver):
    _needs_matching(solver)
    c = _cands(ps) if ps else Candidates.empty()
    tr = np.array(truth, dtype=np.int64).reshape(-1, 2)
    curve = threshold_curve(c, tr, solver=solver)
    for t in [0.0, 0.3, 0.4, 0.5, 0.52, 0.55, 0.8, 0.9, 1.0]:
        kept = c.above(t)
        links = greedy_match(kept) if solver == "greedy" else kept
        want = evaluate_links(links, tr)
        got = curve.at(t)
        assert (got.tp, got.fp, got.fn) == (want.tp, want.fp, want.fn)
        assert curve.size_at([t])[0] == len(links)
    if len(curve):
        best = curve.best_f1()
        brute = max(evaluate_links(greedy_match(c.above(t)) if solver == "greedy"
                                   else c.above(t), tr).f1 for t in curve.thresholds)
        assert best.f1 == pytest.approx(brute)


def test_curve_agrees_with_sklearn_when_every_true_pair_is_a_candidate(rng):
    metrics = pytest.importorskip("sklearn.metrics")
    n = 300
    a = rng.integers(0, 40, n)
    b = rng.integers(0, 40, n)
    s = np.round(rng.random(n), 2)
    c = Candidates.from_unsorted(a, b, s)
    c = Candidates(*[x[np.unique(np.column_stack([c.a, c.b]), axis=0, return_index=True)[1]]
                     for x in (c.a, c.b, c.score)])
    c = Candidates.from_unsorted(c.a, c.b, c.score)
    is_true = rng.random(len(c)) < 0.3
    truth = np.column_stack([c.a[is_true], c.b[is_true]])
    curve = threshold_curve(c, truth)
    p, r, t = metrics.precision_recall_curve(is_true, c.score)
    # sklearn: ascending thresholds, one extra final point (p=1, r=0)
    np.testing.assert_allclose(curve.thresholds[::-1], t)
    np.testing.assert_allclose(curve.precision[::-1], p[:-1])
    np.testing.assert_allclose(curve.recall[::-1], r[:-1])
    # and when true pairs are missing, our recall is scaled by the share found
    extra = np.array([[1000 + i, 1000 + i] for i in range(len(truth))])
    curve2 = threshold_curve(c, np.vstack([truth, extra]))
    np.testing.assert_allclose(curve2.recall, curve.recall / 2)


def test_curve_rejects_bad_solver_and_unscored_pairs():
    with pytest.raises(InputError, match="'solver'"):
        threshold_curve(Candidates.empty(), solver="optimal")
    with pytest.raises(InputError, match="scored pairs"):
        threshold_curve([[0, 0]])


def test_curve_accepts_unsorted_dataframe():
    df = pd.DataFrame({"a": [1, 0], "b": [1, 0], "score": [0.5, 0.9]})
    curve = threshold_curve(df, [[0, 0], [1, 1]])
    assert curve.thresholds.tolist() == [0.9, 0.5]
    assert curve.tp.tolist() == [1, 2]


# --- diagnostics --------------------------------------------------------------------


def test_score_histogram_candidates_split_by_truth():
    c = _cands([(0, 0, 0.95), (1, 1, 0.85), (1, 0, 0.15), (2, 2, 0.05)])
    h = score_histogram(c, [[0, 0], [1, 1]], bins=10)
    assert h.counts.sum() == 4
    assert h.match_counts.tolist() == [0] * 8 + [1, 1]
    assert h.nonmatch_counts.tolist() == [1, 1] + [0] * 8
    assert h.centers[0] == pytest.approx(0.05)
    assert score_histogram(c).match_counts is None


def test_score_histogram_of_a_matrix_matches_candidates(rng):
    mat = rng.random((5, 7))
    aa, bb = np.meshgrid(np.arange(5), np.arange(7), indexing="ij")
    c = Candidates.from_unsorted(aa.ravel(), bb.ravel(), mat.ravel())
    truth = [[0, 0], [3, 6]]
    h1 = score_histogram(mat, truth, bins=8)
    h2 = score_histogram(c, truth, bins=8)
    for x, y in [(h1.counts, h2.counts), (h1.match_counts, h2.match_counts)]:
        np.testing.assert_array_equal(x, y)
    with pytest.raises(InputError, match="outside"):
        score_histogram(mat, [[5, 0]])


def test_pair_completeness_and_reduction_ratio():
    c = _cands([(0, 0, 0.9), (1, 2, 0.8), (2, 2, 0.7)])
    assert pair_completeness(c, [[0, 0], [1, 1], [2, 2], [3, 3]]) == 0.5
    assert pair_completeness(c, np.empty((0, 2), int)) == 1.0
    assert reduction_ratio(c, 10, 30) == pytest.approx(0.99)
    with pytest.raises(InputError, match="'n_a'"):
        reduction_ratio(c, 0, 3)


def test_recall_by_corruption_by_hand():
    truth = [[0, 0], [1, 1], [2, 2], [3, 3]]
    links = [[0, 0], [2, 2], [3, 3]]
    log = pd.DataFrame(
        {
            "party": ["a", "b", "b", "a", "b"],
            "row": [1, 1, 2, 2, 9],
            "field": ["surname", "surname", "given_name", "phone", "suburb"],
            "kind": ["typo", "typo", "typo", "missing", "ocr"],
        }
    )
    r = recall_by_corruption(links, truth, log)
    got = {k: (n, f) for k, n, f in zip(r.kinds, r.n_pairs, r.n_found, strict=True)}
    # pair 1 (typo on both sides, missed) counts once; pair 2 has typo and missing (found)
    assert got == {"missing": (1, 1), "typo": (2, 1), "none": (2, 2)}
    assert r.to_frame().set_index("kind").loc["typo", "recall"] == 0.5
    with pytest.raises(InputError, match="party, row, kind"):
        recall_by_corruption(links, truth, log.drop(columns="kind"))
