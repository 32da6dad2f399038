"""Regenerate the attack golden files.

Run by hand only: ``python tests/data/attack/make_golden.py``.

``encoded.csv`` is encoded with ``schema.json`` and the test secret into
``clks.json``; ``pprl attack frequency`` against ``plaintext.csv`` gives
``guesses_frequency.csv``.  Run this only after a deliberate change to the
attack or the inputs, never to make a failing test pass.
"""

from pathlib import Path

HERE = Path(__file__).parent
SECRET = b"attack golden secret, not a real one"  # also in tests/test_privacy_cli.py


def main() -> None:
    import pandas as pd

    import pprl
    from pprl.cli import main as cli

    df = pd.read_csv(HERE / "encoded.csv", dtype=str, keep_default_na=False)
    pprl.write_clks(pprl.encode(df, HERE / "schema.json", SECRET, progress=False),
                    HERE / "clks.json")
    rc = cli(["attack", "frequency", str(HERE / "clks.json"), str(HERE / "plaintext.csv"),
              "--schema", str(HERE / "schema.json"), "-o", str(HERE / "guesses_frequency.csv")])
    assert rc == 0


if __name__ == "__main__":
    main()
