"""``pprl link A B C ... --max-memory SIZE``: the 2-party cap (:mod:`._memory`) for N parties.

The cap covers what grows with the inputs: every party's CLKs and record
IDs, the largest pair of parties' scan copies, each thread's buffers, the
rows' popcounts, the merged candidates (26 bytes each at the peak,
:data:`~pprl.linkage.multiparty.RESULT_BYTES`) and what the group solver
adds.  The solver's figures were measured with tracemalloc on the Python
solver (``pprl/linkage/_groups.py``): at most about 160 bytes per
candidate on dense candidates and 350 per candidate, about one per
record, on sparse ones, so the plan counts :data:`SOLVER_PAIR_BYTES` per
candidate and :data:`SOLVER_RECORD_BYTES` per record.  As for two parties,
the fixed overhead of the process (Python, its libraries, and
:data:`~._memory.WORK_BYTES` of working space) is outside the cap.
"""

from __future__ import annotations

from itertools import combinations

from ..errors import InputError, TooManyCandidatesError
from ..linkage.multiparty import RESULT_BYTES
from ._memory import ID_BYTES, THREAD_BYTES, _mib, parse_size

__all__ = ["MultipartyPlan", "SOLVER_PAIR_BYTES", "SOLVER_RECORD_BYTES"]

#: what the group solvers add per candidate (the Python solver's lists of record keys)
SOLVER_PAIR_BYTES = {"greedy": 170, "probabilistic": 170, "none": 0}
#: what the group solvers add per record (its group, the group's members and parties)
SOLVER_RECORD_BYTES = {"greedy": 200, "probabilistic": 200, "none": 0}


class MultipartyPlan:
    """How ``--max-memory`` splits between the inputs and the candidates of N parties."""

    def __init__(self, text: str | None, solver: str) -> None:
        self.text = text
        self.cap = None if text is None else parse_size(text)
        self.solver = solver
        self.inputs = 0

    def per_pair(self) -> int:
        """Bytes per candidate at the peak: the merged result and the solver's share."""
        return RESULT_BYTES + SOLVER_PAIR_BYTES[self.solver]

    def max_bytes(self, clks: list, ids, threads: int, least: int) -> int | None:
        """``max_bytes`` for ``multiparty_candidates`` (None without a cap); raises if too small."""
        if self.cap is None:
            return None
        n = [x.shape[0] for x in clks]
        copies = 2 if clks and clks[0].shape[1] % 8 else 1
        scan = max((copies * clks[i].nbytes + (copies + 2) * clks[j].nbytes
                    for i, j in combinations(range(len(clks)), 2)), default=0)
        id_bytes = 0 if ids is None else sum(len(str(x)) + ID_BYTES for i in ids for x in i)
        self.inputs = (sum(x.nbytes for x in clks) + scan + id_bytes + 16 * sum(n)
                       + threads * (THREAD_BYTES + 16 * max(n, default=0))
                       + SOLVER_RECORD_BYTES[self.solver] * sum(n))
        room = (self.cap - self.inputs) * RESULT_BYTES // self.per_pair()
        if room < least:
            raise InputError(
                f"--max-memory {self.text} is too small: the CLKs, record IDs, scan buffers and "
                f"the solver's per-record state take about {_mib(self.inputs)} and the scans "
                f"need at least {_mib(least)} more for candidates; give at least "
                f"{_mib(self.inputs + least * 2)}")
        return int(room)

    def explain(self, exc: TooManyCandidatesError, threshold: float, k: int | None) \
            -> InputError:
        """The scans' stop, reworded with the command's flags."""
        how = "would hold about" if exc.estimated else "passed"
        per = self.per_pair()
        cap = (f"--max-memory {self.text} leaves {_mib(self.cap - self.inputs)} for them "
               f"after the CLKs and scan buffers" if self.cap is not None
               else "the memory available allows")
        now_k = f" (now {k})" if k is not None else ""
        return InputError(
            f"stopped early: the candidates of the pairs of parties {how} {exc.pairs:,} "
            f"candidates at {per} bytes each with --solver {self.solver} "
            f"({_mib(exc.pairs * per)}), more than {cap}; raise --threshold (now "
            f"{threshold:g}), keep the best --k K per record{now_k}, use --blocking lsh, or "
            "raise --max-memory")
