"""Plain words for a privacy report: which figures are bad, and why.

:func:`assess` reads the numbers of :func:`pprl.privacy.privacy_report` and
returns one sentence per finding, starting with ``BAD``, ``WARN`` or ``OK``.
The rules (stated here so a reader can argue with them):

* an attack is **BAD** when it re-identifies at least 5 % of the encoded
  records and at least five times what random guessing would (its
  ``chance_rate``); **WARN** from 1 % and three times chance; else **OK**;
* the frequency attack is read beside its ranks-of-counts alignment: what
  counts alone give is leaked by every encoding that keeps equal values
  equal, whatever hardening changes popcounts;
* with negative controls, an attack that keeps more than twice chance (and
  over 2 %) on random bits, or does not degrade with a wrong schema, is
  flagged: part of its figure is not the signal it claims;
* popcounts that follow value lengths (correlation above 0.3), repeated CLKs
  (fewer than 95 % distinct) and linkage F1 below 0.9 earn a WARN.

The thresholds are judgement, not a standard; the figures themselves are in
the report beside the sentences.
"""

from __future__ import annotations

__all__ = ["assess"]

_NAMES = {"graph": "graph matching attack", "frequency": "frequency attack",
          "frequency_ranks": "frequency attack on ranks of counts alone",
          "pattern": "pattern-mining attack"}


def _pct(x: float) -> str:
    return f"{100 * x:.1f} %"


def _level(rate: float, chance: float) -> str:
    if rate >= 0.05 and rate >= 5 * chance:
        return "BAD"
    if rate >= 0.01 and rate >= 3 * chance:
        return "WARN"
    return "OK"


def _attack_line(name: str, r: dict) -> str:
    rate, chance = r["reidentification_rate"], r.get("chance_rate") or 0.0
    level = _level(rate, chance)
    what = _NAMES.get(name, name)
    if not r.get("n_guesses", 1):
        return (f"OK: the {what} made no guess (what it needs, e.g. repeated CLKs, was not "
                "there), which is no guarantee against other attacks.")
    head = (f"{level}: the {what} re-identified {_pct(rate)} of the encoded records "
            f"({r['correct']} of {r['n_encoded']}, guess precision {_pct(r['precision'])}; "
            f"random guessing would get {_pct(chance)})")
    if level == "BAD":
        tail = ("someone with a similar plaintext database and this schema, but not the "
                "secret, can re-identify them; harden the schema (docs/hardening.md, "
                "template person-hardened) and measure again")
    elif level == "WARN":
        tail = "above chance: a small but real leak to this attack"
    else:
        tail = "no better than chance here, which is no guarantee against other attacks"
    return f"{head}: {tail}."


def _frequency_line(full: dict, ranks: dict) -> str:
    a, b = full["reidentification_rate"], ranks["reidentification_rate"]
    return (f"{'WARN' if _level(b, ranks.get('chance_rate') or 0.0) != 'OK' else 'OK'}: of "
            f"the frequency attack's {_pct(a)}, ranks of counts alone give {_pct(b)}; that part "
            "comes from equal values giving equal CLKs and survives any hardening that keeps "
            "them equal (balance, BLIP, XOR folding); the rest comes from popcounts.")


def _control_lines(name: str, r: dict) -> list[str]:
    ctl = r.get("controls")
    if not ctl or not r.get("correct"):
        return []
    what = _NAMES.get(name, name)
    rate, chance = r["reidentification_rate"], r.get("chance_rate") or 0.0
    out = []
    rb, ws = ctl["random_bits"], ctl["wrong_schema"]
    if name in ("graph", "pattern"):
        if rb > max(2 * chance, 0.02):
            out.append(f"WARN: on random bits of the same popcounts the {what} still "
                       f"re-identifies {_pct(rb)}: part of its figure is not q-gram structure.")
        else:
            out.append(f"OK: on random bits of the same popcounts the {what} falls to "
                       f"{_pct(rb)} (chance {_pct(chance)}): its figure is q-gram structure.")
    if rate > 0.0 and ws >= rate:
        out.append(f"WARN: with a wrong schema (other q) the {what} does not degrade "
                   f"({_pct(rate)} -> {_pct(ws)}): it does not need the exact schema.")
    elif rate > 0.0:
        out.append(f"OK: with a wrong schema (other q) the {what} degrades from {_pct(rate)} "
                   f"to {_pct(ws)}: its figure rests on knowing the schema, which is usually "
                   "shared with every party.")
    return out


def assess(linkage: dict, attacks: dict, leaks: dict) -> list[str]:
    """One plain sentence per finding of a privacy report, worst news first.

    Parameters
    ----------
    linkage, attacks, leaks : dict
        The report's entries of the same names.

    Returns
    -------
    list of str
        Each starts with ``BAD:``, ``WARN:`` or ``OK:``.

    Examples
    --------
    >>> attacks = {"graph": {"reidentification_rate": 0.9, "precision": 0.9, "correct": 90,
    ...                      "n_encoded": 100, "chance_rate": 0.01}}
    >>> leaks = {"popcount_length_correlation": 0.1, "distinct_fraction": 1.0, "fill": 0.4}
    >>> assess({"f1": 0.99}, attacks, leaks)[0][:40]
    'BAD: the graph matching attack re-identi'
    """
    lines = []
    for name, r in attacks.items():
        lines.append(_attack_line(name, r))
        if name == "frequency" and "frequency_ranks" in attacks and r.get("correct"):
            lines.append(_frequency_line(r, attacks["frequency_ranks"]))
        lines.extend(_control_lines(name, r))
    corr = leaks.get("popcount_length_correlation", 0.0)
    if corr > 0.3:
        lines.append(f"WARN: popcounts follow the values' lengths (correlation {corr:.2f}): "
                     "the number of set bits tells how long the values are; the balance "
                     "step removes this.")
    distinct = leaks.get("distinct_fraction", 1.0)
    if distinct < 0.95:
        lines.append(f"WARN: only {_pct(distinct)} of the CLKs are distinct: equal CLKs show "
                     "equal values, which is what frequency attacks use; encode more fields "
                     "per CLK.")
    if linkage.get("f1", 1.0) < 0.9:
        lines.append(f"WARN: linkage F1 is {linkage['f1']:.3f} on the synthetic data: this "
                     "schema links poorly, whatever it leaks.")
    order = {"BAD": 0, "WARN": 1, "OK": 2}
    return sorted(lines, key=lambda x: order[x.split(":", 1)[0]])
