"""Within-party duplicates in the corruption log: one ``duplicate`` line per extra record.

A person with several records in one party has a *source* record, the one
at the lowest row; every other record of that person in the party gets one
line ``row, "record", "duplicate", str(source_row), ""`` in the log, beside
the value corruptions (which every record, the source included, gets
independently).  Nothing here draws a random number, so the records of a
seed stay the same.
"""

from __future__ import annotations

import numpy as np

__all__ = ["DUPLICATE", "log_duplicates"]

#: the corruption log's kind of a within-party duplicate (field ``record``, before = source row)
DUPLICATE = "duplicate"


def log_duplicates(log: dict, people: np.ndarray) -> None:
    """Append a ``duplicate`` line for each record whose person has a record at a lower row.

    The line names the source, the person's record at the lowest row:
    ``row, "record", "duplicate", str(source_row), ""``; lines in row order.
    """
    order = np.argsort(people, kind="stable")  # each person's rows together, ascending
    first = np.r_[True, people[order][1:] != people[order][:-1]]
    source = order[np.maximum.accumulate(np.where(first, np.arange(len(order)), 0))]
    rows, sources = order[~first], source[~first]
    by_row = np.argsort(rows, kind="stable")
    rows, sources = rows[by_row].tolist(), sources[by_row].tolist()
    log["row"].extend(rows)
    log["field"].extend(["record"] * len(rows))
    log["kind"].extend([DUPLICATE] * len(rows))
    log["before"].extend(str(r) for r in sources)
    log["after"].extend([""] * len(rows))
