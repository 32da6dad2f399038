"""``pprl link A B C ... --max-memory SIZE``: the 2-party cap (:mod:`._memory`) for N parties.

The cap covers what grows with the inputs: every party's CLKs and record
IDs, the largest pair of parties' scan copies, each thread's buffers, the
rows' popcounts, the merged candidates (26 bytes each at the peak,
:data:`~pprl.linkage.multiparty.RESULT_BYTES`) and what the group solver
adds.  The solver's figures were measured with tracemalloc on the Python
solver (``pprl/linkage/_groups.py``): at most about 160 bytes per
candidate on dense candidates and 350 per candidate, about one per
record, on sparse ones, so the plan counts :data:`SOLVER_PAIR_BYTES` per
candidate and :data:`SOLVER_RECORD_BYTES` per record.  The native solver
(``native/groups.c``, what runs when it was built) adds less:
:data:`NATIVE_PAIR_BYTES` per candidate.  As for two parties,
the fixed overhead of the process (Python, its libraries, and
:data:`~._memory.WORK_BYTES` of working space) is outside the cap.
"""

from __future__ import annotations

from itertools import combinations

from ..errors import InputError, TooManyCandidatesError
from ..linkage.multiparty import RESULT_BYTES
from ._memory import THREAD_BYTES, CapPlan, _ids_bytes, _mib, scan_copies_of_b

__all__ = ["DedupePlan", "MultipartyPlan", "NATIVE_PAIR_BYTES", "SOLVER_PAIR_BYTES",
           "SOLVER_RECORD_BYTES"]

#: what the group solvers add per candidate (the Python solver's lists of record keys)
SOLVER_PAIR_BYTES = {"greedy": 170, "probabilistic": 170, "none": 0}
#: what the native group solver adds per candidate: 61 bytes measured with /usr/bin/time
#: (3 x 20,000 synthetic people at 0.6, 14.4 million candidates: a 1,395 MB peak with
#: --solver greedy against 520 MB with --solver none), rounded up
NATIVE_PAIR_BYTES = {"greedy": 72, "probabilistic": 72, "none": 0}
#: what the group solvers add per record (its group, the group's members and parties)
SOLVER_RECORD_BYTES = {"greedy": 200, "probabilistic": 200, "none": 0}


class MultipartyPlan(CapPlan):
    """How ``--max-memory`` splits between the inputs and the candidates of N parties."""

    def __init__(self, text: str | None, solver: str, native: bool = False) -> None:
        super().__init__(text)
        self.solver = solver
        self.native = native

    def per_pair(self) -> int:
        """Bytes per candidate at the peak: the merged result and the solver's share."""
        share = NATIVE_PAIR_BYTES if self.native else SOLVER_PAIR_BYTES
        return RESULT_BYTES + share[self.solver]

    def max_bytes(self, clks: list, ids, threads: int, least: int) -> int | None:
        """``max_bytes`` for ``multiparty_candidates`` (None without a cap); raises if too small."""
        if self.cap is None:
            return None
        n = [x.shape[0] for x in clks]
        copies = 2 if clks and clks[0].shape[1] % 8 else 1
        scan = max((copies * clks[i].nbytes + (copies + scan_copies_of_b()) * clks[j].nbytes
                    for i, j in combinations(range(len(clks)), 2)), default=0)
        id_bytes = 0 if ids is None else sum(_ids_bytes(i) for i in ids)
        self.inputs = (sum(x.nbytes for x in clks) + scan + id_bytes + 16 * sum(n)
                       + threads * (THREAD_BYTES + 16 * max(n, default=0))
                       + SOLVER_RECORD_BYTES[self.solver] * sum(n))
        return self.room("the CLKs, record IDs, scan buffers and the solver's per-record "
                         "state", least, (RESULT_BYTES, self.per_pair()))

    def explain(self, exc: TooManyCandidatesError, threshold: float, k: int | None) \
            -> InputError:
        """The scans' stop, reworded with the command's flags."""
        how = "would hold about" if exc.estimated else "passed"
        per = self.per_pair()
        cap = self.leaves()
        now_k = f" (now {k})" if k is not None else ""
        return InputError(
            f"stopped early: the candidates of the pairs of parties {how} {exc.pairs:,} "
            f"candidates at {per} bytes each with --solver {self.solver} "
            f"({_mib(exc.pairs * per)}), more than {cap}; raise --threshold (now "
            f"{threshold:g}), keep the best --k K per record{now_k}, use --blocking lsh, or "
            "raise --max-memory")


#: bytes per kept pair of ``pprl dedupe`` at its peak, by --method: the self-scan holds both
#: orders of each pair (48 B), then the kept half is copied out (24 B and a 2-byte mask);
#: after it the Python group solver adds SOLVER_PAIR_BYTES to the kept 24 B.  The native
#: solver (``native/groups.c``) and connected components stay under the scan's 74 B: measured
#: with /usr/bin/time on 20,000 synthetic people, 46-67 B per kept pair in all (2.2 and 11
#: million pairs), the Python solver 104 B.
DEDUPE_SCAN_BYTES = 48 + 24 + 2
DEDUPE_PYTHON_BYTES = 24 + SOLVER_PAIR_BYTES["greedy"]


class DedupePlan(CapPlan):
    """How ``pprl dedupe --max-memory`` splits between the CLKs and the candidate pairs.

    The scan of a file against itself holds both orders of each pair and every
    record's pair with itself; ``max_bytes`` bounds that scan, so it is sized
    for ``2 P + n`` pairs where ``P`` kept pairs fit at
    :meth:`per_pair` bytes each.
    """

    def __init__(self, text: str | None, method: str, native: bool) -> None:
        super().__init__(text)
        self.method = method
        self.native = native

    def per_pair(self) -> int:
        """Bytes per kept pair at the peak (the scan's, or the Python solver's when larger)."""
        python = self.method != "components" and not self.native
        return max(DEDUPE_SCAN_BYTES, DEDUPE_PYTHON_BYTES if python else 0)

    def max_bytes(self, clks, ids, threads: int, least: int) -> int | None:
        """``max_bytes`` for the self-scan (None without a cap); raises if too small."""
        if self.cap is None:
            return None
        n = clks.shape[0]
        copies = 2 if clks.shape[1] % 8 else 1
        self.inputs = ((2 * copies + scan_copies_of_b()) * clks.nbytes + _ids_bytes(ids) + 16 * n
                       + threads * (THREAD_BYTES + 16 * n)
                       + SOLVER_RECORD_BYTES.get(self.method, 0) * n)
        # the scan's bytes for both orders of the pairs that fit, plus every record's own pair
        both = self.room("the CLKs, record IDs and scan buffers", least, (48, self.per_pair()))
        return int(both + 24 * n)

    def explain(self, exc: TooManyCandidatesError, threshold: float) -> InputError:
        """The self-scan's stop, reworded with ``pprl dedupe``'s flags."""
        how = "would hold about" if exc.estimated else "passed"
        kept = max(exc.pairs // 2, 1)  # the scan counts both orders of each pair
        per = self.per_pair()
        return InputError(
            f"stopped early: the pairs of records {how} {kept:,} pairs at {per} bytes each "
            f"with --method {self.method} ({_mib(kept * per)}), more than {self.leaves()}; "
            f"raise --threshold (now {threshold:g}), use --blocking lsh, or raise "
            "--max-memory")
