"""Corrupted synthetic records per second: two-party set, one core.

    python benchmarks/bench_synth.py [--records 50000] [--repeat 3] [--locale en_AU]

Prints, for ``make_dataset`` with the default corruption configuration,
the records produced per CPU second (both parties counted; one thread on
one core, so CPU time is steadier than wall time on a shared machine), best of
``--repeat`` runs after one warm-up that builds the faker value pools
(cached per seed and locale, so the timed runs reuse the seed to measure
sampling + corruption; the pool build is timed separately). Also times
writing the files, and, for context, clkhash's ``randomnames.NameList``
(the generator clkhash ships, which applies no corruption), if installed.
Target: at least 50,000 corrupted records per second.
"""

from __future__ import annotations

import argparse
import os

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import tempfile  # noqa: E402
import time  # noqa: E402

from pprl.synthetic import make_dataset  # noqa: E402
from pprl.synthetic.generate import _build_pools  # noqa: E402


def best_of(fn, repeat: int) -> float:
    """Least CPU seconds (user + system) of ``repeat`` calls: one thread on one core, so on
    a shared machine it is what the call costs, where wall time also counts the waits."""
    times = []
    for _ in range(repeat):
        t = time.process_time()
        fn()
        times.append(time.process_time() - t)
    return min(times)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--records", type=int, default=50_000, help="people per party")
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--locale", default="en_AU")
    args = ap.parse_args()
    n, total = args.records, 2 * args.records
    try:
        os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})  # one core
    except (AttributeError, OSError):
        pass

    _build_pools.cache_clear()
    t = time.process_time()
    ds = make_dataset(n, locale=args.locale, rng=1)
    first = time.process_time() - t
    t_gen = best_of(lambda: make_dataset(n, locale=args.locale, rng=1), args.repeat)
    changes = len(ds.corruptions)
    rate = total / t_gen
    print(f"make_dataset: {total:,} records (2 x {n:,}), {changes:,} corruptions logged")
    print(f"  first call (builds faker pools): {first:.2f} CPU s")
    print(f"  best of {args.repeat}: {t_gen:.2f} CPU s  ->  {rate:,.0f} corrupted records/s "
          f"({'meets' if rate >= 50_000 else 'BELOW'} the 50,000/s target)")

    with tempfile.TemporaryDirectory() as tmp:
        k = iter(range(10**6))
        t_write = best_of(lambda: ds.write(os.path.join(tmp, str(next(k)))), args.repeat)
    print(f"  write CSV files: {t_write:.2f} CPU s ({total / t_write:,.0f} records/s)")

    try:
        from clkhash.randomnames import NameList
    except ImportError:
        print("clkhash not installed: no reference timing")
        return
    t_ref = best_of(lambda: NameList(total), 1)
    ref_rate = total / t_ref
    print(f"clkhash NameList({total:,}) (no corruption): {t_ref:.2f} CPU s -> {ref_rate:,.0f} "
          f"records/s; pprl/clkhash = {rate / ref_rate:.1f}x")


if __name__ == "__main__":
    main()
