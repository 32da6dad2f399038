"""Groups (N-party linkage or deduplication) against a truth of ``party,row,entity``.

The records are the truth's records; a record in no group is a cluster of
its own.  Pairwise precision, recall and F1 count unordered record pairs
placed together (any two records, same party or not); the pair counts, the
adjusted Rand index and homogeneity / completeness / V-measure come from
scikit-learn (:func:`sklearn.metrics.cluster.pair_confusion_matrix`,
:func:`~sklearn.metrics.adjusted_rand_score`,
:func:`~sklearn.metrics.homogeneity_completeness_v_measure`), imported when
the function runs: scikit-learn is needed only for this evaluation, so it is
the ``eval`` extra (``pip install 'pprl[eval]'``) rather than a core dependency.
"""

from __future__ import annotations

import string
from dataclasses import asdict, dataclass

import numpy as np

from ..errors import InputError

__all__ = ["GroupMetrics", "evaluate_groups", "party_index"]


@dataclass(frozen=True)
class GroupMetrics:
    """Quality of groups against the truth.

    Attributes
    ----------
    precision, recall, f1 : float
        Over unordered record pairs placed together (0 when undefined).
    tp, fp, fn : int
        Pairs together in both, only in the groups, only in the truth.
    n_predicted_pairs, n_true_pairs : int
    n_records, n_groups, n_entities : int
        Records of the truth, groups of two or more, entities of the truth.
    ari : float
        Adjusted Rand index (0 for chance, 1 for the truth).
    homogeneity, completeness, v_measure : float
    """

    precision: float
    recall: float
    f1: float
    tp: int
    fp: int
    fn: int
    n_predicted_pairs: int
    n_true_pairs: int
    n_records: int
    n_groups: int
    n_entities: int
    ari: float
    homogeneity: float
    completeness: float
    v_measure: float

    def to_dict(self) -> dict:
        """The metrics as a plain dict (JSON-ready)."""
        return asdict(self)


def party_index(values) -> np.ndarray:
    """Parties as 0-based integers: integers as they are, letters ``a, b, ...`` as 0, 1, ...

    The letters are the file names of :func:`pprl.make_dataset` (``a.csv``, ...).

    >>> party_index(["a", "c", "b"]).tolist(), party_index([2, 0]).tolist()
    ([0, 2, 1], [2, 0])
    """
    import pandas as pd

    s = pd.Series(np.asarray(values, dtype=object)).astype(str).str.strip()
    num = pd.to_numeric(s, errors="coerce")
    if num.notna().all() and ((num >= 0) & (num == np.floor(num))).all():
        return num.to_numpy(dtype=np.int64)
    letters = {c: i for i, c in enumerate(string.ascii_lowercase)}
    out = s.str.lower().map(letters)
    if out.isna().any():
        bad = s[out.isna()].iloc[0]
        raise InputError(f"party {bad!r}: expected a 0-based party index or a letter a-z "
                         "(the synthetic files a.csv, b.csv, ...).")
    return out.to_numpy(dtype=np.int64)


def _frame(obj, what: str, cols: tuple[str, ...]):
    import pandas as pd

    if hasattr(obj, "to_frame") and not isinstance(obj, pd.Series | pd.DataFrame):
        obj = obj.to_frame()
    if not isinstance(obj, pd.DataFrame):
        raise InputError(f"evaluate_groups: {what} must be a DataFrame or Groups; got "
                         f"{type(obj).__name__}.")
    missing = [c for c in cols if c not in obj.columns]
    if missing:
        raise InputError(f"evaluate_groups: {what} lacks column(s) {', '.join(missing)} "
                         f"(has {', '.join(map(str, obj.columns))}).")
    return obj


def _keys(df, what: str):
    party = party_index(df["party"]) if "party" in df.columns else np.zeros(len(df), np.int64)
    row = np.asarray(df["row"], dtype=np.int64)
    if len(row) and row.min() < 0:
        raise InputError(f"evaluate_groups: {what} has a negative row.")
    return party, row


def evaluate_groups(groups, truth) -> GroupMetrics:
    """Pairwise precision / recall / F1, ARI and V-measure of groups against the truth.

    Parameters
    ----------
    groups : Groups or DataFrame
        Columns ``group, party, row`` (or ``group, row`` for one file).
    truth : DataFrame
        Columns ``party, row, entity`` (or ``row, entity`` for one file), one
        line per record; parties as 0-based indices or letters ``a, b, ...``.

    Returns
    -------
    GroupMetrics

    Raises
    ------
    InputError
        A (party, row) repeated in the truth or the groups, or a grouped
        record that the truth does not list.

    Examples
    --------
    >>> import pandas as pd
    >>> truth = pd.DataFrame({"party": ["a", "b", "c", "a", "b"], "row": [0, 0, 0, 1, 1],
    ...                       "entity": [7, 7, 7, 8, 9]})
    >>> groups = pd.DataFrame({"group": [0, 0, 1, 1], "party": [0, 1, 0, 1],
    ...                        "row": [0, 0, 1, 1]})
    >>> m = evaluate_groups(groups, truth)
    >>> (m.tp, m.fp, m.fn), round(m.precision, 3), round(m.recall, 3)
    ((1, 1, 2), 0.5, 0.333)
    """
    try:
        from sklearn.metrics import adjusted_rand_score, homogeneity_completeness_v_measure
        from sklearn.metrics.cluster import pair_confusion_matrix
    except ImportError as exc:  # pragma: no cover - exercised without the extra
        raise ImportError("evaluate_groups needs scikit-learn: pip install 'pprl[eval]'") from exc

    t = _frame(truth, "truth", ("row", "entity"))
    g = _frame(groups, "groups", ("group", "row"))
    tp_, tr = _keys(t, "the truth")
    gp, gr = _keys(g, "the groups")
    stride = int(max(tr.max(initial=0), gr.max(initial=0))) + 1
    tkey, gkey = tp_ * stride + tr, gp * stride + gr
    for key, party, row, what in ((tkey, tp_, tr, "the truth"), (gkey, gp, gr, "the groups")):
        u, first, count = np.unique(key, return_index=True, return_counts=True)
        if np.any(count > 1):
            i = int(first[np.argmax(count > 1)])
            raise InputError(f"evaluate_groups: {what} lists (party {party[i]}, row {row[i]}) "
                             "more than once.")
    order = np.argsort(tkey)
    pos = np.searchsorted(tkey[order], gkey)
    pos = np.minimum(pos, len(tkey) - 1) if len(tkey) else pos
    found = (len(tkey) > 0) & (tkey[order][pos] == gkey) if len(gkey) else np.zeros(0, bool)
    if not np.all(found):
        i = int(np.argmin(found))
        raise InputError(f"evaluate_groups: grouped record (party {gp[i]}, row {gr[i]}) is not "
                         "in the truth.")
    n = len(tkey)
    entity = np.unique(np.asarray(t["entity"]).astype(str), return_inverse=True)[1]
    glabel = np.unique(np.asarray(g["group"]), return_inverse=True)[1]
    pred = np.arange(n, dtype=np.int64) + (glabel.max() + 1 if len(glabel) else 0)
    pred[order[pos]] = glabel  # grouped records get their group; the rest stay alone
    if n < 2:
        tp = fp = fn = 0
        ari, (h, c, v) = 1.0, (1.0, 1.0, 1.0)
    else:
        (_, fp2), (fn2, tp2) = pair_confusion_matrix(entity, pred)
        tp, fp, fn = int(tp2) // 2, int(fp2) // 2, int(fn2) // 2
        ari = float(adjusted_rand_score(entity, pred))
        h, c, v = (float(x) for x in homogeneity_completeness_v_measure(entity, pred))
    precision = tp / (tp + fp) if tp + fp else 0.0
    recall = tp / (tp + fn) if tp + fn else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return GroupMetrics(precision=precision, recall=recall, f1=f1, tp=tp, fp=fp, fn=fn,
                        n_predicted_pairs=tp + fp, n_true_pairs=tp + fn, n_records=n,
                        n_groups=int(len(np.unique(glabel))), n_entities=int(entity.max(
                            initial=-1) + 1), ari=ari, homogeneity=h, completeness=c,
                        v_measure=v)
