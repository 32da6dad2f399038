"""Regenerate the golden CLKs (run by hand only: ``python tests/data/golden/make_golden.py``).

The expected CLKs come from clkhash 0.18.3, the reference; pprl must agree
before anything is written.  Run this only after a deliberate change to the
golden schema or records, never to make a failing test pass.
"""

import base64
import csv
import json
from pathlib import Path

HERE = Path(__file__).parent
SECRET = b"golden test secret, not a real one"  # also in tests/test_encode.py


def main() -> None:
    from clkhash import clk, schema

    with open(HERE / "schema.json") as fh:
        doc = json.load(fh)
    with open(HERE / "records.csv", newline="", encoding="utf-8") as fh:
        rows = list(csv.reader(fh))[1:]
    ref = clk.generate_clks(rows, schema.from_json_dict(json.loads(json.dumps(doc))), SECRET,
                            validate=True, max_workers=1)
    expected = [base64.b64encode(b.tobytes()).decode("ascii") for b in ref]

    import pprl

    ours = pprl.clks_to_base64(pprl.encode(rows, doc, SECRET, progress=False))
    if ours != expected:
        raise SystemExit("pprl and clkhash disagree; not writing golden CLKs")
    with open(HERE / "clks.json", "w", encoding="utf-8") as fh:
        json.dump({"clks": expected}, fh, indent=1)
        fh.write("\n")
    print(f"wrote {len(expected)} CLKs to {HERE / 'clks.json'}")


if __name__ == "__main__":
    main()
