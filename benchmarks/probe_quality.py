"""Why the quality estimate's recall denominator runs low: two probes against the truth.

    python benchmarks/probe_quality.py [--records 5000] [--cases heavy,au-10k] [--no-febrl]

Per case (the cases of ``bench_quality.py``; development sets, not hold-outs):

* **posteriors given the true density**: the links' posteriors in
  0.625-0.775 summed, once with the EM's own true-pair density and once
  with the truth's, against the true links there.  A sum near the true
  links with the truth's density means the per-link likelihood is right
  and the EM's density is what is wrong (``docs/quality.md``, third round).
* **null shift**: the recall denominator (true pairs at or above the floor)
  with both files' null shapes shifted by -0.002 ... +0.002: how much of
  the estimate rests on the null's measurement.

It reads the estimator's private parts (``pprl.evaluation.quality`` and its
model), so it is a probe for developers, not an example.
"""

from __future__ import annotations

import argparse
import warnings

import numpy as np
from bench_quality import add_case_arguments, selected_cases

import pprl
from pprl.evaluation import _quality_model as qm
from pprl.evaluation import quality as q
from pprl.evaluation._quality_null import _null

BAND = (0.625, 0.775)
SHIFTS = (-0.002, -0.001, 0.0, 0.001, 0.002)


def _posteriors(ln, density, pairs, n_a, n_b):
    """The links' posteriors of ``fit_links`` for a given true-pair density and count."""
    mge, dm = pairs[ln.idx], np.maximum(density[ln.idx], 0.0)
    false = np.clip(1 - mge / n_a, 1e-6, 1) * np.clip(1 - mge / n_b, 1e-6, 1)
    lo = 0.5 * (np.log(dm / n_a * ln.Ga + 1e-300) - np.log(ln.ga * false)) \
        + 0.5 * (np.log(dm / n_b * ln.Gb + 1e-300) - np.log(ln.gb * false))
    return 1 / (1 + np.exp(-np.clip(lo, -700, 700)))


def probe(name, a, b, truth, floor) -> None:
    n_a, n_b = len(a), len(b)
    cands = pprl.candidate_pairs(a, b, floor, progress=False)
    links = pprl.greedy_match(cands)
    grid = q._grid(floor, 0.005)
    link, _, _, best, best_b = q._record_summary(cands, links, n_a, n_b)
    idx = np.clip(np.searchsorted(grid, link + 1e-9, side="right") - 1, 0, len(grid) - 1)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        nulls, reasons, _ = q._nulls(cands, n_a, n_b, floor, (a, b), 20_000_000,
                                     np.random.default_rng(0))
    if nulls is None:
        print(f"{name}: no null ({'; '.join(reasons)})")
        return
    loc_a, loc_b, null_a, null_b, _ = nulls
    taken = np.cumsum(np.bincount(idx, minlength=len(grid))[::-1])[::-1]
    above = (taken - np.bincount(idx, minlength=len(grid)))[idx]
    phi_a, phi_b = 1 - above / n_b, 1 - above / n_a

    def fit(na_, nb_):
        ln = qm.LinkNull(link, idx, loc_a[links.a], loc_b[links.b], na_, nb_, phi_a, phi_b)
        start = qm.identity_start(best, best_b, loc_a, loc_b, na_, nb_, grid)
        return ln, qm.fit_links(ln, n_a, n_b, grid, start)

    ln, f = fit(null_a, null_b)
    true_set = set(zip(truth["a"].tolist(), truth["b"].tolist(), strict=True))
    tl = np.array([(x, y) in true_set
                   for x, y in zip(links.a.tolist(), links.b.tolist(), strict=True)])
    # the truth's true-pair density: true links weighted as the EM weights them, per 0.025
    edges = np.arange(floor, 1.0 + 1e-9, 0.025)
    dens = np.histogram(link[tl], edges, weights=ln.ipw[tl])[0] / 0.025
    cum = np.cumsum((dens * 0.025)[::-1])[::-1]
    centres = 0.5 * (edges[1:] + edges[:-1])
    oracle = _posteriors(ln, np.interp(grid, centres, dens), np.interp(grid, edges[:-1], cum),
                         n_a, n_b)
    band = (link >= BAND[0]) & (link < BAND[1])
    print(f"{name}: true pairs {len(truth)}, estimated {f['m']:.0f}; links in "
          f"{BAND[0]}-{BAND[1]}: {band.sum()}, true {tl[band].sum()}, posteriors summed: EM "
          f"{f['post'][band].sum():.1f}, with the truth's density {oracle[band].sum():.1f}")
    row = []
    for s in SHIFTS:
        _, g = fit(_null(null_a.values + s, null_a.clear), _null(null_b.values + s, null_b.clear))
        row.append(f"{s:+.3f}: {g['m']:.0f}")
    print("   null shifted by " + ", ".join(row), flush=True)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    add_case_arguments(ap)
    args = ap.parse_args()
    for name, a, b, truth in selected_cases(args):
        probe(name, a, b, truth, args.floor)


if __name__ == "__main__":
    main()
