"""Slider latency of the parameter explorer with the graph attack's readout.

Run by hand (not a test):  MPLBACKEND=Agg python benchmarks/bench_explorer_attack.py [N]

For a few control changes on an N x N sample at full overlap: the time until
the widget has redrawn F1 (the slider's latency) and the time until the
attack's re-identification readout is filled in (a thread; cached per setting).
The readout runs the graph attack on a seeded shuffle of B's rows and scores it
with ``score_guesses`` (:class:`pprl.privacy.ShuffledAttack`).
"""

from __future__ import annotations

import json
import sys
import time

from pprl.evaluation.explore import EncodingParams, ExplorerModel
from pprl.privacy import ShuffledAttack, graph_attack
from pprl.synthetic import make_dataset


class _Sink:
    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False

    def clear_output(self, wait=False):
        pass


def main(n: int = 1000) -> None:
    from pprl.viz.widgets import ParameterExplorer

    ds = make_dataset(n, overlap=1.0, rng=3)
    model = ExplorerModel(ds.parties[0], ds.parties[1], ds.truth[["a", "b"]], rng=1,
                          attack=ShuffledAttack(graph_attack, rng=1))
    ex = ParameterExplorer(model, EncodingParams())
    ex.output = _Sink()  # headless: no notebook to display into
    ex.attack_thread.join()
    changes = [("hardening: balance", "hardening", [{"kind": "balance"}]),
               ("hardening: diffusion 3", "hardening", [{"kind": "diffusion", "taps": 3}]),
               ("back to balance", "hardening", [{"kind": "balance"}]),
               ("l = 512", "l", 512)]
    for name, control, value in changes:
        value = json.dumps(value) if control == "hardening" else value
        t = time.perf_counter()
        ex.controls[control].value = value
        redraw = time.perf_counter() - t
        ex.attack_thread.join()
        readout = time.perf_counter() - t
        print(f"{name:24s} redrawn after {redraw:5.2f} s, attack readout after {readout:6.2f} s"
              f" ({ex.result.reidentification:.1%} re-identified)")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 1000)
