"""Who is calling: a project's result token, a party's upload token or its receipt token.

A role is ``("result", None)``, ``("upload", i)`` or ``("receipt", i)`` for
party ``i``.  Tokens are checked against every hash the project holds, in
constant time (:func:`.tokens.match`); an unknown project is 404, a token
that is not one of the project's is 403.
"""

from __future__ import annotations

from sqlalchemy import select

from .db import Party, Project
from .problems import forbidden, not_found
from .tokens import match

__all__ = ["authorize", "bearer"]


def bearer(header: str | None) -> str | None:
    """The token of an ``Authorization`` header.

    Bare, as the entity service's clients send it, or after ``Bearer``.
    """
    if header is None:
        return None
    header = header.strip()
    if header[:7].lower() == "bearer ":
        header = header[7:].strip()
    return header or None


def authorize(s, project_id: str, header: str | None, allowed: set[str],
              *, deleted_ok: bool = False) -> tuple[Project, str, int | None]:
    """Check the caller's token for ``project_id``; return ``(project, role, party)``.

    Raises
    ------
    Problem
        404 when the project does not exist (or was deleted, unless
        ``deleted_ok``), 403 when the token is missing, not one of the
        project's, or of a role not in ``allowed``.
    """
    project = s.get(Project, project_id)
    if project is None or (project.deleted and not deleted_ok):
        raise not_found(f"no project {project_id!r}" if project is None
                        else f"project {project_id!r} was deleted")
    token = bearer(header)
    if token is None:
        raise forbidden("this call needs a token in the Authorization header")
    hashes: dict[str, str | None] = {"result:": project.result_token_hash}
    for p in s.scalars(select(Party).where(Party.project_id == project_id)):
        hashes[f"upload:{p.index}"] = p.update_token_hash
        hashes[f"receipt:{p.index}"] = p.receipt_token_hash
    key = match(token, hashes)
    if key is None:
        raise forbidden("the Authorization token is not a token of this project")
    role, _, idx = key.partition(":")
    if role not in allowed:
        raise forbidden(_refusal(role))
    return project, role, (int(idx) if idx else None)


def _refusal(role: str) -> str:
    return {
        "result": "the result token cannot make this call (it reads results and runs; "
                  "only a party's upload token uploads)",
        "upload": "an upload token cannot make this call (it uploads its party's CLKs and "
                  "reads its own permutation; the result token reads results)",
        "receipt": "a receipt token cannot make this call (it reads its party's "
                   "permutation only)",
    }[role]
