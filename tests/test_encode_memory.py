"""``pprl encode``'s peak memory does not grow with the machine's core count.

pyarrow parsed each CSV block on its whole CPU thread pool, and every pool
thread kept its own allocator heap: 200,000 rows took 324 MiB with 2 threads
and 436 MiB with 32 (1,000,000 rows: 371 -> 526 MiB), which is why a user on a
many-core machine measured more than the README said.  Blocks are ~8 MiB and
are parsed on a helper thread while the previous block encodes, so the parse
runs single-threaded.
"""

from __future__ import annotations

import gzip

from peak_rss import pprl_peak

from pprl.encoding.schema import PERSON_SCHEMA_PATH
from pprl.synthetic.datasets import dataset_path


def test_encode_peak_memory_is_the_same_with_1_or_32_arrow_threads(tmp_path):
    lines = gzip.open(dataset_path("au-10k") / "a.csv.gz", "rt", encoding="utf-8") \
        .read().splitlines()
    data = tmp_path / "people.csv"
    data.write_text("\n".join([lines[0]] + lines[1:] * 6) + "\n", encoding="utf-8")  # 60,000
    key = tmp_path / "key.txt"
    key.write_text("a secret long enough for the memory test")
    peaks = {}
    for threads in ("1", "32"):  # OMP_NUM_THREADS sizes pyarrow's CPU pool, as cores would
        rc, peaks[threads], err = pprl_peak(
            "encode", data, PERSON_SCHEMA_PATH, "--secret-file", key, "-o",
            tmp_path / f"c{threads}.json", "--no-progress", env={"OMP_NUM_THREADS": threads})
        assert rc == 0, err
    assert (tmp_path / "c1.json").read_bytes() == (tmp_path / "c32.json").read_bytes()
    # measured: 2 MiB apart now, 33 MiB before (parse on the pool)
    assert peaks["32"] - peaks["1"] < 16 << 20, {k: v >> 20 for k, v in peaks.items()}
