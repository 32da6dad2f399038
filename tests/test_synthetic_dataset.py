"""Multi-party data sets: definitions, corruption rates, truth, log, reproducibility, files."""

from __future__ import annotations

import difflib
import random

import numpy as np
import pandas as pd
import pytest

from pprl.errors import FileFormatError, InputError
from pprl.synthetic import (
    CORRUPTORS,
    FIELD_KINDS,
    PERSON_COLUMNS,
    CorruptionConfig,
    Duplicates,
    corrupt,
    make_dataset,
    make_people,
    read_dataset,
)


@pytest.fixture(scope="module")
def clean():
    from pprl.synthetic.generate import _address_extra, _id_numbers, _pools_for

    people = make_people(20000, locale="en_AU", rng=123)
    rng = np.random.default_rng(123)  # the fields only a column description asks for
    people["address_extra"] = _address_extra(_pools_for("en_AU", rng), rng, len(people))
    people["id_number"] = _id_numbers(rng, len(people), 7)
    return people


def _one_kind_per_field_configs(p):
    """Configs that together cover every (field, kind), at most one kind per field each."""
    queues = {f: list(k) for f, k in FIELD_KINDS.items()}
    while any(queues.values()):
        yield CorruptionConfig({f: {q.pop(0): p} for f, q in queues.items() if q},
                               max_per_record=None)


def test_measured_rate_matches_configured_probability(clean):
    """Each (field, kind) is applied at rate p among the values it applies to (4 sigma)."""
    p = 0.08
    checked = 0
    for i, cfg in enumerate(_one_kind_per_field_configs(p)):
        _, log = corrupt(clean, cfg, rng=1000 + i)
        for field, kinds in cfg.fields.items():
            kind = next(iter(kinds))
            fn = CORRUPTORS[kind]
            counts = clean[field].value_counts()
            eligible = sum(c for v, c in counts.items() if fn(v, [0.5] * 4) is not None)
            if eligible < 2000:  # too rare in clean data to measure (e.g. day/month swap)
                continue
            hits = int(((log["field"] == field) & (log["kind"] == kind)).sum())
            sigma = np.sqrt(p * (1 - p) / eligible)
            assert abs(hits / eligible - p) < 4 * sigma + 0.003, (field, kind, hits, eligible)
            checked += 1
    assert checked > 60


def test_record_level_rates(clean):
    cfg = CorruptionConfig({}, {"swap_names": 0.1, "moved": 0.2}, max_per_record=None)
    _, log = corrupt(clean, cfg, rng=5)
    n = len(clean)
    swapped = log[log["kind"] == "swap_names"]["row"].nunique()
    moved = log[log["kind"] == "moved"]["row"].nunique()
    assert abs(swapped / n - 0.1) < 4 * np.sqrt(0.09 / n)
    assert abs(moved / n - 0.2) < 4 * np.sqrt(0.16 / n) + 0.005  # a new address can repeat
    # a swap logs both name fields with each other's value
    s = log[log["kind"] == "swap_names"]
    g, su = s[s["field"] == "given_name"], s[s["field"] == "surname"]
    assert list(g["before"]) == list(su["after"])


def test_max_per_record_is_respected(clean):
    cfg = CorruptionConfig({f: {k: 0.5} for f, k in [("given_name", "missing"),
                                                     ("surname", "missing"),
                                                     ("phone", "missing"),
                                                     ("email", "missing")]}, max_per_record=2)
    _, log = corrupt(clean, cfg, rng=9)
    per_row = log.groupby("row").size()
    assert per_row.max() == 2
    # the cap keeps a random subset: every field still gets hit
    assert set(log["field"]) == {"given_name", "surname", "phone", "email"}


def test_corrupt_log_matches_frame(clean):
    out, log = corrupt(clean.head(3000), rng=3)
    last = log.drop_duplicates(["row", "field"], keep="last")
    for row, field, after in zip(last["row"], last["field"], last["after"], strict=True):
        assert out[field].iloc[row] == after
    changed = {(r, f) for r, f in zip(log["row"], log["field"], strict=True)}
    for f in PERSON_COLUMNS[1:]:
        diff = np.flatnonzero(out[f].to_numpy() != clean.head(3000)[f].to_numpy())
        assert {(int(r), f) for r in diff} <= changed


def test_sizes_and_overlap_definition():
    ds = make_dataset(400, overlap=0.25, rng=1)
    assert [len(p) for p in ds.parties] == [400, 400]
    assert len(ds.truth) == 100
    assert ds.truth["a"].is_unique and ds.truth["b"].is_unique
    assert list(ds.truth.columns[:2]) == ["a", "b"]
    assert ds.truth["a"].dtype == np.int64
    for p in ds.parties:
        assert tuple(p.columns) == PERSON_COLUMNS and p["rec_id"].is_unique
    assert make_dataset(10, overlap=0.0, rng=1).truth.empty
    assert len(make_dataset(10, overlap=1.0, rng=1).truth) == 10


def test_multi_party_truth():
    ds = make_dataset(300, parties=4, overlap=0.5, rng=2)
    assert len(ds.parties) == 4
    assert list(ds.truth.columns[:3]) == ["party", "row", "entity"]
    assert len(ds.truth) == 1200
    shared = ds.truth.groupby("entity")["party"].nunique()
    assert (shared == 4).sum() == 150 and set(shared) == {1, 4}
    assert len(ds.pairs("a", "d")) == 150 and len(ds.pairs(1, 2)) == 150


@pytest.mark.parametrize("dist", ["uniform", "poisson", "zipf"])
def test_duplicates(dist):
    dup = Duplicates(0.2, dist, 4)
    ds = make_dataset(2000, overlap=0.5, duplicates=dup, rng=4)
    e = ds.entities
    per = e[e["party"] == "a"].groupby("entity").size()
    assert len(per) == 2000
    extra = per - 1
    assert abs((extra > 0).mean() - 0.2) < 0.03
    assert extra.max() <= 4
    if dist == "uniform":
        assert abs(extra[extra > 0].mean() - 2.5) < 0.2
    elif dist == "zipf":
        assert (extra[extra > 0] == 1).mean() > 0.5  # most duplicated people once
    # truth pairs every record of a shared person in A with every one in B
    ea, eb = e[e["party"] == "a"], e[e["party"] == "b"]
    expected = ea.merge(eb, on="entity")
    assert len(ds.truth) == len(expected)


def test_truth_log_columns_match_corruptions():
    ds = make_dataset(1500, rng=6)
    c = ds.corruptions
    by_rec = c.groupby(["party", "row"])
    fields = by_rec["field"].agg(set).to_dict()
    kinds = by_rec["kind"].agg(set).to_dict()
    counts = by_rec.size().to_dict()
    for a, b, n, f, k in ds.truth[["a", "b", "n_changes", "fields_changed",
                                   "kinds"]].itertuples(index=False):
        exp_f = fields.get(("a", a), set()) | fields.get(("b", b), set())
        exp_k = kinds.get(("a", a), set()) | kinds.get(("b", b), set())
        assert f == ";".join(sorted(exp_f)) and k == ";".join(sorted(exp_k))
        assert n == counts.get(("a", a), 0) + counts.get(("b", b), 0)
    assert (ds.truth["n_changes"] > 0).mean() > 0.5


def _record_text(df, rows):
    cols = ["given_name", "surname", "date_of_birth", "street_address", "suburb", "postcode"]
    return [" ".join(r) for r in df.iloc[rows][cols].itertuples(index=False)]


def test_true_pairs_more_similar_than_random_pairs():
    ds = make_dataset(1000, rng=8)
    a, b = ds.parties
    t = ds.truth
    true_a, true_b = _record_text(a, t["a"]), _record_text(b, t["b"])
    rng = np.random.default_rng(0)
    ra, rb = rng.integers(0, 1000, 500), rng.integers(0, 1000, 500)
    rand_a, rand_b = _record_text(a, ra), _record_text(b, rb)

    def sim(x, y):
        return np.array([difflib.SequenceMatcher(None, u, v).ratio() for u, v in zip(x, y,
                                                                                    strict=True)])
    s_true, s_rand = sim(true_a, true_b), sim(rand_a, rand_b)
    assert s_true.mean() > s_rand.mean() + 0.3
    assert np.median(s_true) > np.quantile(s_rand, 0.99)
    # but corruption is real: true pairs are not all identical
    assert (s_true < 1).mean() > 0.3


def test_no_corruption_gives_identical_shared_records():
    ds = make_dataset(200, config=CorruptionConfig.none(), rng=3)
    a, b = ds.parties
    cols = list(PERSON_COLUMNS[1:])
    left = a.iloc[ds.truth["a"]][cols].reset_index(drop=True)
    right = b.iloc[ds.truth["b"]][cols].reset_index(drop=True)
    assert left.equals(right)
    assert ds.corruptions.empty and (ds.truth["n_changes"] == 0).all()


def _files(folder):
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir())}


def test_same_seed_same_bytes_and_no_global_state(tmp_path):
    py_state, np_state = random.getstate(), np.random.get_state()
    kw = dict(parties=3, overlap=0.3, locale="en_GB", duplicates={"rate": 0.1}, rng=77)
    make_dataset(300, **kw).write(tmp_path / "one")
    make_dataset(300, **kw).write(tmp_path / "two")
    make_dataset(300, **{**kw, "rng": 78}).write(tmp_path / "three")
    assert random.getstate() == py_state
    assert np.array_equal(np.random.get_state()[1], np_state[1])
    one, two, three = (_files(tmp_path / n) for n in ("one", "two", "three"))
    assert set(one) == {"a.csv", "b.csv", "c.csv", "truth.csv", "entities.csv",
                        "corruptions.csv", "manifest.json"}
    assert one == two
    assert one["a.csv"] != three["a.csv"]


def test_manifest_regenerates_the_set(tmp_path):
    ds = make_dataset(200, locale="de_DE", duplicates=Duplicates(0.1, "poisson", 3), rng=None)
    ds.write(tmp_path / "orig")
    m = read_dataset(tmp_path / "orig").manifest
    assert isinstance(m["seed"], int) and m["versions"]["faker"]
    again = make_dataset(m["n_records"], parties=m["parties"], overlap=m["overlap"],
                         locale=m["locale"], config=CorruptionConfig.from_dict(m["config"]),
                         duplicates=Duplicates(**m["duplicates"]), rng=m["seed"])
    again.write(tmp_path / "again")
    assert _files(tmp_path / "orig") == _files(tmp_path / "again")


@pytest.mark.parametrize("compress", [False, True])
def test_write_read_round_trip(tmp_path, compress):
    ds = make_dataset(150, duplicates={"rate": 0.2, "distribution": "uniform"}, rng=12)
    ds.parties[0].loc[0, "surname"] = ""  # blanks survive as ""
    ds.write(tmp_path / "x", compress=compress)
    back = read_dataset(tmp_path / "x")
    for p, q in zip(ds.parties, back.parties, strict=True):
        pd.testing.assert_frame_equal(p, q)
    pd.testing.assert_frame_equal(ds.truth, back.truth, check_dtype=False)
    pd.testing.assert_frame_equal(ds.entities, back.entities, check_dtype=False)
    pd.testing.assert_frame_equal(ds.corruptions, back.corruptions, check_dtype=False)
    assert back.truth["a"].dtype == np.int64


def test_write_is_all_or_nothing(tmp_path, monkeypatch):
    ds = make_dataset(50, rng=1)
    calls = {"n": 0}
    real = pd.DataFrame.to_csv

    def failing(self, *a, **k):
        calls["n"] += 1
        if calls["n"] == 3:
            raise OSError("disk full")
        return real(self, *a, **k)

    monkeypatch.setattr(pd.DataFrame, "to_csv", failing)
    with pytest.raises(OSError, match="disk full"):
        ds.write(tmp_path / "out")
    assert list(tmp_path.iterdir()) == []


def test_write_refuses_non_empty_folder_unless_overwrite(tmp_path):
    ds = make_dataset(20, rng=1)
    ds.write(tmp_path / "out")
    with pytest.raises(InputError, match="not empty"):
        make_dataset(20, rng=2).write(tmp_path / "out")
    make_dataset(20, rng=2).write(tmp_path / "out", overwrite=True)
    assert read_dataset(tmp_path / "out").manifest["seed"] == 2
    assert [p.name for p in tmp_path.iterdir()] == ["out"]
    (tmp_path / "empty").mkdir()
    ds.write(tmp_path / "empty")


def test_read_dataset_errors(tmp_path):
    with pytest.raises(InputError, match="not found"):
        read_dataset(tmp_path / "nope")
    make_dataset(20, rng=1).write(tmp_path / "d")
    (tmp_path / "d" / "b.csv").unlink()
    with pytest.raises(FileFormatError, match=r"b\.csv: file not found"):
        read_dataset(tmp_path / "d")


@pytest.mark.parametrize(("kwargs", "match"), [
    ({"n_records": -1}, "'n_records'"),
    ({"parties": 1}, "'parties'"),
    ({"overlap": 1.5}, "'overlap'"),
    ({"config": {"fields": {}}}, "'config'"),
    ({"duplicates": {"rate": 2}}, "'rate'"),
    ({"duplicates": {"rate": 0.1, "distribution": "normal"}}, "'distribution'"),
    ({"locale": "fr_XX"}, "'locale'"),
    ({"rng": "seed"}, "'rng'"),
])
def test_bad_parameters(kwargs, match):
    kw = {"n_records": 10, **kwargs}
    with pytest.raises(InputError, match=match):
        make_dataset(**kw)


def test_every_corruption_still_encodes_under_the_person_schema(clean):
    """Corrupted values stay valid for the shipped person schema (dates, sex enum, lengths)."""
    from pprl.encoding.encode import encode
    from pprl.encoding.schema import person_schema

    for i, cfg in enumerate(_one_kind_per_field_configs(0.3)):
        out, _ = corrupt(clean.head(500), cfg, rng=i)
        clks = encode(out[list(PERSON_COLUMNS)], person_schema(), b"secret", progress=False)
        assert clks.shape[0] == 500


def test_overwrite_removes_files_of_the_earlier_set_only(tmp_path):
    make_dataset(20, parties=3, rng=1).write(tmp_path / "out")
    (tmp_path / "out" / "notes.txt").write_text("mine")
    make_dataset(20, rng=2).write(tmp_path / "out", overwrite=True, compress=True)
    names = sorted(p.name for p in (tmp_path / "out").iterdir())
    assert names == ["a.csv.gz", "b.csv.gz", "corruptions.csv.gz", "entities.csv.gz",
                     "manifest.json", "notes.txt", "truth.csv.gz"]
    assert read_dataset(tmp_path / "out").manifest["seed"] == 2


def test_written_folder_gets_umask_permissions(tmp_path):
    import os

    from pprl.synthetic import make_dataset

    mask = os.umask(0o022)
    try:
        out = make_dataset(20, rng=1).write(tmp_path / "set")
        assert (out.stat().st_mode & 0o777) == 0o755
        assert all((f.stat().st_mode & 0o777) == 0o644 for f in out.iterdir())
    finally:
        os.umask(mask)


def _check_duplicate_lines(ds) -> int:
    """Each within-party duplicate has one ``duplicate`` line naming its source; the count."""
    log = ds.corruptions
    dup = log[log["kind"] == "duplicate"]
    assert set(dup["field"]) <= {"record"} and set(dup["after"]) <= {""}
    e = ds.entities
    for name in ds.party_names:
        ent = e[e["party"] == name].sort_values("row")["entity"].to_numpy()
        lines = dup[dup["party"] == name]
        rows, src = lines["row"].to_numpy(np.int64), lines["before"].astype(np.int64).to_numpy()
        # one line per record beyond the first of its person, in row order
        assert len(rows) == len(ent) - len(np.unique(ent)) and np.all(np.diff(rows) > 0)
        assert np.array_equal(ent[rows], ent[src]) and np.all(src < rows)
        first = {}
        for r, x in enumerate(ent):
            first.setdefault(x, r)
        assert [first[x] for x in ent[rows]] == src.tolist()  # the source: the lowest row
    return len(dup)


@pytest.mark.parametrize("parties, columns", [(2, None), (3, None),
                                              (3, {"id": "ignore", "fn": "first_name"})])
def test_duplicates_are_logged_like_corruptions(parties, columns):
    kw = dict(parties=parties, overlap=0.5, columns=columns, rng=21)
    ds = make_dataset(300, duplicates=Duplicates(0.3, "uniform", 3), **kw)
    assert _check_duplicate_lines(ds) > 100
    # the truth counts changes of values: the duplicate lines leave it as it was
    assert not ds.truth["kinds"].str.contains("duplicate").any()
    changes = ds.corruptions[ds.corruptions["kind"] != "duplicate"]
    if parties > 2:
        assert ds.truth["n_changes"].sum() == len(changes)
    # no duplicates, no duplicate lines
    assert _check_duplicate_lines(make_dataset(300, **kw)) == 0
