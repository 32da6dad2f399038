# ruff: noqa: E501  (the data card template holds long Markdown lines)
"""Rebuild the data sets shipped in ``pprl/data/datasets/`` (run from the repository root).

    python datasets/make_datasets.py            # all
    python datasets/make_datasets.py au-1k      # one

Each set is fully determined by the parameters below; the generator and
library versions used are recorded in each set's ``manifest.json``. The same
versions give byte-identical files.
"""

from __future__ import annotations

import datetime as dt
import shutil
import sys
from pathlib import Path

from pprl.synthetic import Duplicates, make_dataset

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "pprl" / "data" / "datasets"
SCHEMA = ROOT / "pprl" / "data" / "schemas" / "person.json"

SETS = {
    "au-1k": dict(n_records=1000, locale="en_AU", rng=20261001,
                  about="Two parties of 1,000 Australian people each, half of them shared."),
    "us-1k": dict(n_records=1000, locale="en_US", rng=20261002,
                  about="Two parties of 1,000 US people each, half of them shared."),
    "au-10k": dict(n_records=10000, locale="en_AU", rng=20261003,
                   about="Two parties of 10,000 Australian people each, half of them shared."),
    "gb-1k-3p": dict(n_records=1000, parties=3, overlap=0.4, locale="en_GB", rng=20261004,
                     duplicates=Duplicates(0.05, "zipf", 3),
                     about="Three parties of 1,000 British people each (+ about 5% "
                           "within-party duplicates); 40% of each party's people are in all "
                           "three."),
    "de-1k-dup": dict(n_records=1000, locale="de_DE", rng=20261005,
                      duplicates=Duplicates(0.1, "poisson", 4, 1.0),
                      about="Two parties of 1,000 German people each, half shared, with about "
                            "10% of people duplicated within a party (Poisson counts)."),
}

CARD = """# Data set `{name}`

{about}

| | |
|---|---|
| parties | {parties} ({files}) |
| people per party | {n} (before duplicates) |
| overlap | {overlap} of each party's people are in every other party |
| duplicates | {dups} |
| locale | {locale} |
| corruption | pprl default `CorruptionConfig` (about {exp:.2f} corruptions drawn per record, at most 3) |
| seed | {seed} |
| generator | `pprl.synthetic.make_dataset`, pprl {pprl}, faker {faker}, numpy {numpy} |
| created | {date} |
| licence | CC0 1.0 (synthetic: no real person is described) |
| schema | `schema.json` (copy of `pprl/data/schemas/person.json`){schema_note} |

## Source

Every value is synthetic. Value pools (given names by sex, surnames, streets,
places with postcode and state, e-mail domains) come from faker's `{locale}`
provider (MIT licence), seeded from the numpy generator; records are sampled
from the pools with skewed (census weights or Zipf) frequencies, and each party's
records are corrupted independently (typos, OCR, phonetic variants, nicknames,
missing values, swapped names, date errors, abbreviations, case and spacing
noise, moved house). `corruptions.csv` logs every change; `truth.csv` gives the
true matches with the kinds of change per pair.

## Files

`a.csv.gz`, `b.csv.gz`, ... (columns `rec_id, given_name, surname, sex,
date_of_birth, street_number, street_address, suburb, postcode, state, phone,
email`; blank = missing), `truth.csv.gz`, `entities.csv.gz`,
`corruptions.csv.gz`, `manifest.json` (parameters, versions, SHA-256 of each
file). Load with `pprl.synthetic.datasets.load("{name}")`. Regenerate with
`pprl synth --records {n} --parties {parties} --overlap {overlap} --locale {locale} --seed {seed}{dup_flag} --gzip --out DIR`
(byte-identical with the versions above).
"""


def build(name: str) -> None:
    spec = dict(SETS[name])
    about = spec.pop("about")
    ds = make_dataset(**spec)
    folder = OUT / name
    OUT.mkdir(parents=True, exist_ok=True)
    ds.write(folder, overwrite=True, compress=True)
    have_schema = SCHEMA.is_file()
    if have_schema:
        shutil.copyfile(SCHEMA, folder / "schema.json")
    m = ds.manifest
    d = m["duplicates"]
    dup_flag = "" if d is None else \
        f" --duplicates {d['rate']}:{d['distribution']}:{d['max_per_record']}" + \
        (f":{d['param']}" if d["param"] is not None else "")
    text = CARD.format(
        name=name, about=about, parties=m["parties"],
        files=", ".join(f"{chr(97 + i)}.csv.gz" for i in range(m["parties"])),
        n=m["n_records"], overlap=m["overlap"], locale=m["locale"],
        dups="none" if d is None else f"rate {d['rate']}, {d['distribution']}, "
                                      f"at most {d['max_per_record']} extra",
        exp=ds_config_expected(m), seed=m["seed"], date=dt.date.today().isoformat(),
        schema_note="" if have_schema else " -- not yet available when this set was built; "
                                          "use pprl/data/schemas/person.json",
        dup_flag=dup_flag, **m["versions"],
    )
    (folder / "README.md").write_text(text, encoding="utf-8")
    print(f"{name}: {[len(p) for p in ds.parties]} records, {len(ds.truth)} truth rows")


def ds_config_expected(manifest: dict) -> float:
    from pprl.synthetic import CorruptionConfig

    return CorruptionConfig.from_dict(manifest["config"]).expected_per_record()


if __name__ == "__main__":
    for name in sys.argv[1:] or list(SETS):
        build(name)
