"""``pprl link --max-memory SIZE`` and ``--out-dir DIR``: a memory cap, and streaming to disk.

The cap covers everything ``pprl link`` holds that grows with the inputs:
the CLKs (as read, and the scan's copies of B), each thread's scan buffers,
the record IDs, the candidate pairs (24 bytes each, the peak of the scan's
in-place sort) and what the solver adds per pair (greedy: a 1-byte mask;
optimal: about 256 bytes, measured on random candidates with tracemalloc).
What it does not cover is the fixed overhead of the process: Python and
its libraries (about 120 MiB) and up to :data:`WORK_BYTES` of working space
that does not grow with the inputs (sortedness checks, streaming batches,
CSV formatting) -- see ``docs/scale.md``.

With ``--out-dir`` the pairs go to disk as sorted chunks instead, each as
large as the cap leaves room for; the greedy solver and ``--solver none``
read them back batch by batch, so any cap that holds the CLKs is enough.
"""

from __future__ import annotations

import argparse

from ..errors import InputError, TooManyCandidatesError

__all__ = ["add_arguments", "parse_size", "CapPlan", "MemoryPlan", "PAIR_BYTES", "WORK_BYTES",
           "THREAD_BYTES"]

#: bytes per candidate pair at the peak, by solver (the pairs' own 24 bytes and what the
#: solver adds: greedy a 1-byte mask, optimal ~256 bytes measured with tracemalloc on 1-2
#: million random candidates)
PAIR_BYTES = {"greedy": 25, "none": 24, "optimal": 24 + 256}
#: working space that does not grow with the inputs (outside the cap, like Python itself)
WORK_BYTES = 64 << 20
#: each scan thread's output buffer and scratch (the native buffer holds at most
#: 2**18 pairs of 24 bytes once a row fits; the numpy fallback's step is ~16 MiB)
THREAD_BYTES = 24 << 20
#: record IDs cost about this much each besides their characters (a str object and a pointer)
ID_BYTES = 64


def add_arguments(p: argparse.ArgumentParser) -> None:
    """Add ``--max-memory`` and ``--out-dir`` to ``pprl link``."""
    p.add_argument(
        "--max-memory", metavar="SIZE", default=None,
        help="cap on the memory the link holds besides Python itself (bytes, or with a K, M "
             "or G suffix): the CLKs, the scan buffers and the candidate pairs (24-25 bytes "
             "each; 280 with --solver optimal); stop early, with an error and no output, when "
             "they would not fit (default: the memory available)",
    )
    p.add_argument(
        "--out-dir", metavar="DIR", default=None,
        help="stream the candidate pairs to DIR as sorted .npy chunks (kept; a new or empty "
             "folder) instead of holding them, so a large result fits under --max-memory",
    )


def parse_size(text: str, option: str = "--max-memory") -> int:
    """``4G``, ``500M``, ``1.5M``, ``1048576``: bytes (powers of 1024; a trailing B or iB ok)."""
    units = {"": 1, "K": 1 << 10, "M": 1 << 20, "G": 1 << 30, "T": 1 << 40}
    t = text.strip().upper().removesuffix("B").removesuffix("I")
    unit = t[-1:] if t[-1:] in ("K", "M", "G", "T") else ""
    try:
        size = int(float(t[:len(t) - len(unit)]) * units[unit])
    except (ValueError, OverflowError):
        raise InputError(f"{option} must be a size such as 4G, 500M or 1048576; "
                         f"got {text!r}") from None
    if size <= 0:
        raise InputError(f"{option} must be a positive size such as 4G or 500M; got {text!r}")
    return size


def _ids_bytes(ids) -> int:
    return 0 if ids is None else sum(len(str(x)) + ID_BYTES for x in ids)


def _mib(n: float) -> str:
    return f"{n / 2**20:,.0f} MiB" if n < 10 * 2**30 else f"{n / 2**30:,.1f} GiB"



def scan_copies_of_b() -> int:
    """Copies of B a scan holds besides B as read.

    The popcount-sorted copy, and its bit planes or vertical copy (both on
    an AVX-512 CPU, whose timing race reads both).
    """
    from pprl.linkage.backend import available_backends

    return 3 if "avx512" in available_backends()["isas"] else 2

class CapPlan:
    """What every ``--max-memory`` plan shares: the cap, the inputs it holds, the messages.

    A subclass sets ``inputs`` (bytes held whatever the result) before it asks
    for :meth:`room`.
    """

    def __init__(self, text: str | None) -> None:
        self.text = text
        self.cap = None if text is None else parse_size(text)
        self.inputs = 0

    def room(self, held: str, least: int, scale: tuple[int, int] = (1, 1)) -> int:
        """Bytes left for the result, times ``scale[0] / scale[1]``; raises below ``least``.

        ``held`` names what the inputs are (for the message).
        """
        room = (self.cap - self.inputs) * scale[0] // scale[1]
        if room < least:
            raise InputError(
                f"--max-memory {self.text} is too small: {held} take about "
                f"{_mib(self.inputs)} and the scan needs at least {_mib(least)} more for "
                f"candidate pairs; give at least {_mib(self.inputs + least * 2)}")
        return int(room)

    def leaves(self) -> str:
        """How much the cap leaves for the candidates (for a stop's message)."""
        if self.cap is None:
            return "the memory available allows"
        return (f"--max-memory {self.text} leaves {_mib(self.cap - self.inputs)} for them "
                "after the CLKs and scan buffers")


class MemoryPlan(CapPlan):
    """How ``pprl link``'s memory cap splits between the inputs and the candidate pairs.

    Parameters
    ----------
    text : str or None
        The ``--max-memory`` argument (None: no cap given).
    solver : {"greedy", "optimal", "none"}
    out_dir : str or None
        ``--out-dir``.
    """

    def __init__(self, text: str | None, solver: str, out_dir: str | None) -> None:
        super().__init__(text)
        self.solver = solver
        self.out_dir = out_dir

    def fixed(self, a, b, ids_a, ids_b, threads: int) -> int:
        """Bytes the cap must hold whatever the result: CLKs, their copies, IDs, thread buffers.

        A and B as read, a word-aligned copy of each (when their width is not
        a multiple of 8 bytes), the scan's popcount-sorted copy of B and its
        bit planes (bit-sliced kernel) or vertical copy (AVX-512: both when
        that CPU runs the timing race between them), and per thread an output
        buffer plus 16 bytes per row of B (a row's scores and bit marks).
        """
        m = b.shape[0]
        copies = 2 if a.shape[1] % 8 else 1
        self.inputs = (copies * a.nbytes + (copies + scan_copies_of_b()) * b.nbytes
                       + 8 * (a.shape[0] + m)
                       + _ids_bytes(ids_a) + _ids_bytes(ids_b)
                       + threads * (THREAD_BYTES + 16 * m))
        return self.inputs

    def scan_bytes(self, least: int) -> int | None:
        """``max_bytes`` for ``candidate_pairs``: the result's room (or a chunk's, streaming).

        None when no cap was given (the scan then bounds itself by the memory
        available).  Raises when the cap leaves no room for even one tile.
        """
        if self.cap is None:
            return None
        # the pairs and what the solver adds per pair (streamed: the chunks only)
        scale = (1, 1) if self.out_dir is not None else (24, PAIR_BYTES[self.solver])
        return self.room("the CLKs, record IDs and scan buffers", least, scale)

    def explain(self, exc: TooManyCandidatesError, threshold: float, k: int | None) \
            -> InputError:
        """The scan's stop, reworded with the command's flags."""
        n = exc.pairs
        how = "would hold about" if exc.estimated else "passed"
        per = PAIR_BYTES[self.solver]
        cap = self.leaves()
        now_k = f" (now {k})" if k is not None else ""
        stream = ("use --solver greedy (it streams --out-dir DIR)" if self.solver == "optimal"
                  else "stream the pairs to disk with --out-dir DIR")
        return InputError(
            f"stopped early: the candidate pairs {how} {n:,} pairs at {per} bytes each "
            f"({_mib(n * per)}), more than {cap}; raise --threshold (now {threshold:g}), keep "
            f"the best --k K per record{now_k}, use --blocking lsh, {stream}, or raise "
            "--max-memory")

    def check_load(self, n_pairs: int) -> None:
        """``--solver optimal`` on streamed chunks loads them whole: check that they fit."""
        if self.cap is None:
            return
        need = n_pairs * PAIR_BYTES["optimal"]
        if need > self.cap - self.inputs:
            raise InputError(
                f"stopped early: --solver optimal needs all {n_pairs:,} candidate pairs in "
                f"memory ({_mib(need)}), more than --max-memory {self.text} leaves after the "
                "CLKs; use --solver greedy (it streams --out-dir), raise --threshold, or "
                "raise --max-memory")


def check_scale_flags(args: argparse.Namespace) -> None:
    """``--out-dir`` streams the exhaustive scan only; ``--max-memory`` bounds only it."""
    from ._common import warn

    others = [f for f, on in (("--blocking lsh", getattr(args, "blocking", "none") == "lsh"),
                              ("--dask", getattr(args, "dask", None) is not None)) if on]
    if not others:
        return
    if args.out_dir is not None:
        raise InputError(f"--out-dir streams the exhaustive comparison; it cannot be combined "
                         f"with {' or '.join(others)}")
    if args.max_memory is not None:
        warn("link", f"--max-memory bounds the exhaustive comparison only; with "
                     f"{' and '.join(others)} it is not applied")


def scan(plan: MemoryPlan, args: argparse.Namespace, a, b, ids_a, ids_b, candidate_pairs):
    """The exhaustive scan of ``pprl link`` under the plan: Candidates, or CandidateChunks."""
    from .._validation import check_threads
    from ..linkage.similarity import least_max_bytes
    from ._common import show_progress

    plan.fixed(a, b, ids_a, ids_b, check_threads(args.threads, "pprl link"))
    max_bytes = plan.scan_bytes(least_max_bytes())
    try:
        return candidate_pairs(a, b, args.threshold, k=args.k, backend=args.backend,
                               threads=args.threads, progress=show_progress(args),
                               max_bytes=max_bytes, out_dir=args.out_dir)
    except TooManyCandidatesError as exc:
        raise plan.explain(exc, args.threshold, args.k) from None


def loaded(plan: MemoryPlan, cands):
    """Candidates in memory for a solver that needs them whole (streamed chunks are loaded)."""
    from ..linkage.chunks import CandidateChunks

    if isinstance(cands, CandidateChunks):
        plan.check_load(len(cands))
        return cands.load()
    return cands
