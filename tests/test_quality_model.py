"""The parts of ``pprl.estimate_quality`` on hand-built inputs with a known answer."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

import pprl
from pprl.evaluation._quality_model import LinkNull, fit_links, identity_start
from pprl.evaluation._quality_null import LOC_RANK, _null, locations, shape

GRID = np.round(0.5 + 0.005 * np.arange(101), 9)


def _shape(rng, n=2000):
    """A null shape: best non-match 0.02-0.12 above the location."""
    return _null(rng.gumbel(0.06, 0.015, n), 0.3)


def _idx(score):
    return np.clip(np.searchsorted(GRID, score + 1e-9, side="right") - 1, 0, len(GRID) - 1)


def test_links_far_above_every_null_are_all_true():
    rng = np.random.default_rng(0)
    null = _shape(rng)
    score = np.sort(rng.uniform(0.8, 1.0, 300))
    loc = np.full(len(score), 0.55)  # nulls end near 0.7: every link beats them
    ln = LinkNull(score, _idx(score), loc, loc, null, null, 1.0, 1.0)
    start = np.cumsum(np.bincount(_idx(score), minlength=len(GRID))[::-1])[::-1]
    fit = fit_links(ln, 2000, 2000, GRID, start.astype(float))
    assert np.all(fit["post"] > 0.999)
    assert abs(fit["m"] - len(score)) < 1e-6
    assert np.allclose(fit["tp"], fit["links"], atol=0.5)


def test_links_inside_their_own_nulls_are_mostly_false():
    """1,000 links that are each record's best non-match (no partners) and 50 true links
    far above: the estimate counts about 50 true links, not 1,050."""
    rng = np.random.default_rng(1)
    null = _shape(rng)
    loc = rng.normal(0.58, 0.02, 1050)
    false = loc[:1000] + rng.gumbel(0.06, 0.015, 1000)  # a draw of each record's null max
    true = rng.uniform(0.85, 1.0, 50)
    score = np.concatenate([false, true])
    ln = LinkNull(score, _idx(score), loc, loc, null, null, 1.0, 1.0)
    start = np.zeros(len(GRID))
    start[GRID <= 0.85] = 50.0
    fit = fit_links(ln, 1050, 1050, GRID, start)
    assert abs(fit["tp"][0] - 50) < 10, fit["tp"][0]
    assert fit["post"][1000:].min() > 0.99


def test_the_shape_is_read_from_clear_matches_only():
    rng = np.random.default_rng(2)
    loc = rng.normal(0.6, 0.03, 3000)
    d = rng.gumbel(0.06, 0.015, 3000)
    matched = rng.random(3000) < 0.5
    s1 = np.where(matched, loc + 0.4, loc + d)  # unmatched: the best is the null max
    s2 = np.where(matched, loc + d, loc + d - rng.exponential(0.015, 3000))
    null = shape(s1, s2, loc)
    assert null is not None and len(null.values) == matched.sum()
    assert np.allclose(np.sort(null.values), np.sort(d[matched]))
    # the density integrates to one and the cdf is a cdf
    width = null.edges[1] - null.edges[0]
    assert abs(null.density.sum() * width - 1.0) < 0.02
    assert null.cdf(np.array([-1.0]))[0] == 0 and null.cdf(np.array([1.0]))[0] == 1


def test_no_clear_match_no_shape():
    rng = np.random.default_rng(3)
    loc = rng.normal(0.6, 0.03, 500)
    d = rng.gumbel(0.06, 0.015, 500)
    assert shape(loc + d, loc + d - 0.01, loc) is None


@settings(max_examples=20, deadline=None)
@given(st.floats(0.1, 0.9))
def test_the_start_inverts_its_identity(overlap):
    """Build R(t) from n - R(t) = H(t) D(t) with a known H: the start returns n (1 - H)."""
    rng = np.random.default_rng(4)
    n = 4000
    null = _shape(rng)
    loc = rng.normal(0.6, 0.02, n)
    # partners: `overlap` of records, their scores uniform on [0.62, 1]
    has = rng.random(n) < overlap
    partner = np.where(has, rng.uniform(0.62, 1.0, n), -np.inf)
    nullmax = loc + rng.choice(null.values, n)
    best = np.maximum(partner, nullmax)
    mu = identity_start(best, best, loc, loc, null, null, GRID)
    truth = np.array([(partner >= t).sum() for t in GRID])
    ok = GRID >= 0.7  # where both nulls mostly stay under t
    assert np.max(np.abs(mu[ok] - truth[ok])) <= 0.03 * n * max(overlap, 0.1) + 40


def test_a_record_location_ignores_its_partner():
    """An exact copy of a record in B moves its location by at most one rank's spacing."""
    ds = pprl.make_dataset(400, overlap=0.0, rng=5)
    schema = pprl.person_schema()
    a = pprl.encode(ds.parties[0], schema, "secret", progress=False)
    b = pprl.encode(ds.parties[1], schema, "secret", progress=False)
    with_copy = np.concatenate([b, a[:50]])
    without = np.concatenate([b, a[50:100]])  # same size, no partners for rows 0-49
    rng = np.random.default_rng
    loc1 = locations(a[:50], with_copy, rng(0))
    loc0 = locations(a[:50], without, rng(0))
    spacing = 0.02  # a generous rank spacing near rank LOC_RANK of 450
    assert np.all(np.abs(loc1 - loc0) <= spacing), np.abs(loc1 - loc0).max()
    # a partner at rank 1 would move the top scores by a whole match: not the location
    assert LOC_RANK >= 10


def test_each_link_stands_for_its_entitys_pairs():
    """An entity with 2 records in A and 3 in B has 6 true pairs and 2 one-to-one links:
    each link counts 3 pairs; a single pair counts 1; non-matches count nothing."""
    from pprl.evaluation.quality import _pairs_per_link

    ent = [(a, b, 0.9) for a in (0, 1) for b in (0, 1, 2)] + [(2, 3, 0.85)]
    noise = [(a, b, 0.6) for a in range(3) for b in range(4) if (a, b) not in
             {(x, y) for x, y, _ in ent}]
    rows = sorted(ent + noise, key=lambda r: -r[2])
    cands = pprl.Candidates(np.array([r[0] for r in rows]), np.array([r[1] for r in rows]),
                            np.array([r[2] for r in rows]))
    links = pprl.greedy_match(cands)
    loc = np.full(4, 0.5)
    per_link = _pairs_per_link(cands, links, loc, loc, 0.2, 0.2, 3, 4)
    assert sorted(per_link.tolist()) == [1.0, 3.0, 3.0]
    assert per_link.sum() == 7  # 6 + 1 true pairs


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(st.floats(-1e3, 1e3), st.floats(1e-6, 1e3)), min_size=1,
                max_size=60))
def test_non_increasing_is_scipys_isotonic_regression(pairs):
    from scipy.optimize import isotonic_regression

    from pprl.evaluation._quality_model import non_increasing

    y = np.array([p[0] for p in pairs])
    w = np.array([p[1] for p in pairs])
    want = isotonic_regression(y, weights=w, increasing=False).x
    np.testing.assert_allclose(non_increasing(y, w), want, rtol=1e-9, atol=1e-6)


def test_batched_replicates_are_the_single_fits():
    """The bootstrap fits its replicates at once (fit_batch, Null.replicates): with every
    record drawn once they are the point fit, and each replicate is the fit of its own
    null and weights."""
    from pprl.evaluation._quality_model import fit_batch, ipw

    rng = np.random.default_rng(4)
    null = _shape(rng, 400)
    loc = rng.normal(0.55, 0.02, 600)
    score = np.sort(np.concatenate([loc[:400] + rng.gumbel(0.06, 0.015, 400),
                                    rng.uniform(0.6, 1.0, 200)]))
    x = score - loc
    g, p = null.replicates(x, np.ones((1, len(null.values))))
    np.testing.assert_array_equal(g[0], null.cdf(x))
    np.testing.assert_allclose(p[0], null.pdf(x), rtol=1e-12)
    counts = rng.multinomial(len(null.values), np.full(len(null.values), 1 / 400), 3)
    G, dens = null.replicates(x, counts)
    for r in range(3):  # the cdf is the empirical cdf of the redrawn records
        redrawn = np.repeat(null.values, counts[r])
        np.testing.assert_allclose(G[r], np.searchsorted(redrawn, x, side="left") / 400)
    start = np.cumsum(np.bincount(_idx(score), minlength=len(GRID))[::-1])[::-1] * 0.5
    w = rng.poisson(1.0, (3, len(score))).astype(float)
    batch = fit_batch(G, dens, G, dens, ipw(G, G, 1.0, 1.0), _idx(score), w, 2000, 2000, GRID,
                      start, rounds=3)
    for r in range(3):
        ln = LinkNull(score, _idx(score), loc, loc, null, null, 1.0, 1.0)
        ln.Ga, ln.ga, ln.Gb, ln.gb = G[r], dens[r], G[r], dens[r]
        ln.ipw = ipw(G[r], G[r], 1.0, 1.0)
        one = fit_links(ln, 2000, 2000, GRID, start, weights=w[r], rounds=3)
        np.testing.assert_allclose(batch["tp"][r], one["tp"], rtol=1e-10, atol=1e-9)
        np.testing.assert_allclose(batch["m"][r], one["m"], rtol=1e-10)


@settings(max_examples=60, deadline=None)
@given(data=st.data())
def test_ranks_padded_equals_sorted(data):
    """ranks() sorts short rows in a padded array, long ones with one lexsort: same answer."""
    import pprl.evaluation._quality_null as qn

    n = data.draw(st.integers(1, 30))
    rows = np.array(data.draw(st.lists(st.integers(0, n - 1), max_size=200)), dtype=np.int64)
    score = np.array(data.draw(st.lists(st.sampled_from([0.1, 0.25, 0.5, 0.75, 1.0]),
                                        min_size=len(rows), max_size=len(rows))))
    js = (0, 1, 3, 17)
    padded = qn.ranks(rows, score, n, js)
    try:
        qn.PAD_RANKS = -1
        sorted_ = qn.ranks(rows, score, n, js)
    finally:
        qn.PAD_RANKS = 64
    np.testing.assert_array_equal(padded, sorted_)


@given(g=st.integers(1, 120), seed=st.integers(0, 2**16))
@settings(max_examples=40, deadline=None)
def test_smoothing_is_the_centred_convolution_at_any_grid_length(g, seed):
    """x @ smoothing(g, ...) is the Gaussian convolution kept on x's own grid, also when the
    grid is shorter than the kernel (a floor near 1), where np.convolve(..., "same")
    returns the kernel's length instead."""
    from pprl.evaluation._quality_null import smoothing

    x = np.random.default_rng(seed).random(g)
    step, bw = 0.005, 0.02
    half = int(np.ceil(3 * bw / step))
    kern = np.exp(-0.5 * (np.arange(-half, half + 1) * step / bw) ** 2)
    want = np.convolve(x, kern / kern.sum(), mode="full")[half:half + g]
    np.testing.assert_allclose(x @ smoothing(g, step, bw), want, rtol=1e-12, atol=1e-15)
