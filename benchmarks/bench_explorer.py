"""Slider latency of the parameter explorer on an N x N synthetic sample.

Run by hand (not a test):  MPLBACKEND=Agg python benchmarks/bench_explorer.py [N]

Prints, for a sequence of control changes, the time of the model update
(encode + compare + evaluate, with the per-feature cache warm as it is in a
notebook session) and of the whole update including drawing the figure to
PNG, which the widget does on every update.
"""

from __future__ import annotations

import sys
import time

import numpy as np

from pprl.evaluation.explore import EncodingParams, ExplorerModel
from pprl.synthetic import make_dataset


class _Sink:
    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False

    def clear_output(self, wait=False):
        pass


def main(n: int = 2000) -> None:
    from pprl.viz.widgets import ParameterExplorer

    ds = make_dataset(n, rng=1)
    model = ExplorerModel(ds.parties[0], ds.parties[1], ds.truth[["a", "b"]], rng=2)
    t = time.perf_counter()
    ex = ParameterExplorer(model, EncodingParams())
    ex.output = _Sink()  # headless: no notebook to display into
    print(f"{n} x {n}: first draw (cold cache) {time.perf_counter() - t:.3f} s")
    moves = [("q", 3), ("q", 2), ("positional", True), ("positional", None), ("l", 512),
             ("l", 1024), ("xor_folds", 1), ("xor_folds", 0), ("strategy", "bitsPerFeature"),
             ("k", 200), ("strategy", "schema"), ("include:suburb", False),
             ("include:suburb", True), ("include:surname", False), ("l", 2048), ("q", 3)]
    rows = []
    for name, value in moves:
        t0 = time.perf_counter()
        ex.controls[name].value = value  # one control, as a user moves it (renders PNG)
        total = time.perf_counter() - t0
        s = ex.result.seconds  # stage times of the call that computed it (maybe cached)
        model_s = ex.model_seconds
        rows.append((name, value, model_s, total))
        print(f"{name:>10} = {value!s:<40.40} model {model_s:.3f} s "
              f"(computed: enc {s['encode']:.3f}, cmp {s['compare']:.3f}, "
              f"eval {s['evaluate']:.3f}); "
              f"with drawing {total:.3f} s")
    m = np.array([r[2] for r in rows])
    w = np.array([r[3] for r in rows])
    print(f"model update: median {np.median(m):.3f} s, max {m.max():.3f} s; "
          f"with drawing: median {np.median(w):.3f} s, max {w.max():.3f} s")

    from pprl import candidate_pairs
    from pprl.viz.widgets import ThresholdExplorer

    r = ex.result
    cands = candidate_pairs(r.clks_a, r.clks_b, 0.5)
    t = time.perf_counter()
    te = ThresholdExplorer(cands, ds.truth[["a", "b"]])
    te.output = _Sink()
    print(f"threshold explorer over {len(cands):,} candidates: built in "
          f"{time.perf_counter() - t:.3f} s")
    ts = []
    for value in (0.6, 0.7, 0.8, 0.9, 0.75):
        t = time.perf_counter()
        te.slider.value = value
        ts.append(time.perf_counter() - t)
    print(f"threshold slider move (summary + redraw of 3 panels): median {np.median(ts):.3f} s, "
          f"max {max(ts):.3f} s")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 2000)
