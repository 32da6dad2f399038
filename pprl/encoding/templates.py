"""The linkage schemas shipped with pprl, as starting points (``pprl schema init --template``).

Every ``*.json`` file in ``pprl/data/schemas/`` is a template, named after the
file.  Its top-level ``description`` (a pprl extension that clkhash ignores)
says what it is for.
"""

from __future__ import annotations

import json
from importlib import resources
from pathlib import Path

from ..errors import InputError

__all__ = ["list_templates", "template_path", "TEMPLATES_DIR"]

#: Folder of the shipped schema templates.
TEMPLATES_DIR = Path(str(resources.files("pprl") / "data" / "schemas"))


def _describe(path: Path) -> str:
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError):
        return "(unreadable)"
    if isinstance(doc, dict) and isinstance(doc.get("description"), str):
        return " ".join(doc["description"].split())
    feats = doc.get("features") if isinstance(doc, dict) else None
    if isinstance(feats, list):
        names = [f.get("identifier", "?") for f in feats if isinstance(f, dict)]
        return f"{len(names)} features: {', '.join(map(str, names))}"
    return "(no description)"


def list_templates() -> dict[str, str]:
    """The shipped schema templates: name -> one-line description, sorted by name.

    Examples
    --------
    >>> "person" in list_templates()
    True
    """
    return {p.stem: _describe(p) for p in sorted(TEMPLATES_DIR.glob("*.json"))}


def template_path(name: str) -> Path:
    """The file of the template ``name``.

    Raises
    ------
    InputError
        No such template; the message lists the ones there are.

    Examples
    --------
    >>> template_path("person").name
    'person.json'
    """
    names = list(list_templates())
    if name not in names:
        raise InputError(f"no schema template {name!r}; expected one of {', '.join(names)} "
                         "(pprl schema init --list)")
    return TEMPLATES_DIR / f"{name}.json"
