"""``pprl project``: create a project on a linkage service, upload, run and fetch results."""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

from ..errors import InputError
from ._common import (
    add_progress_flag,
    check_output_path,
    require_file,
    show_progress,
    threshold_arg,
)

__all__ = ["add_parser", "run", "read_tokens", "write_private"]

ACTIONS = ("create", "upload", "run", "status", "results", "delete")


def add_parser(sub: argparse._SubParsersAction) -> None:
    """Register ``pprl project`` and its actions."""
    p = sub.add_parser(
        "project",
        help="use a linkage service: create a project, upload CLKs, run, fetch results",
        description="Talk to a linkage service (pprl serve, or an entity service v1). "
                    "Tokens are read from files (never from the command line): 'create' "
                    "writes PROJECT.json with every token and PROJECT.party-<i>.json with "
                    "each party's upload token, all readable by their owner only.",
    )
    acts = p.add_subparsers(dest="action", metavar="ACTION")
    acts.required = True

    def common(q, tokens: bool = True):
        q.add_argument("--server", required=True, metavar="URL",
                       help="the service, e.g. http://localhost:8851")
        if tokens:
            q.add_argument("--tokens", required=True, metavar="TOKENS.json",
                           help="a token file written by 'pprl project create'")
            q.add_argument("--party", type=int, default=None,
                           help="use this party's upload token from TOKENS.json")
        q.set_defaults(func=run)

    q = acts.add_parser("create", help="create a project; writes the tokens")
    common(q, tokens=False)
    q.add_argument("--schema", required=True, metavar="SCHEMA.json")
    q.add_argument("--type", dest="result_type", default="similarity_scores",
                   choices=("similarity_scores", "permutations", "groups"))
    q.add_argument("--parties", type=int, default=2)
    q.add_argument("--name", default="")
    q.add_argument("--notes", default="")
    q.add_argument("--blocked", action="store_true", help="uploads carry block ids")
    q.add_argument("-o", "--output", required=True, metavar="PROJECT.json")

    q = acts.add_parser("upload", help="upload one party's CLKs (.json or .npy)")
    common(q)
    q.add_argument("clks", metavar="CLKS", help="clkhash JSON (streamed) or .npy (binary)")

    q = acts.add_parser("run", help="create a run; prints its id")
    common(q)
    q.add_argument("--threshold", type=float, required=True)
    q.add_argument("--name", default="")
    q.add_argument("--blocking", choices=("none", "lsh"), default="none")
    q.add_argument("--k", type=int, default=None)
    q.add_argument("--solver", choices=("greedy", "optimal"), default="greedy")
    q.add_argument("--seed", type=int, default=None)

    q = acts.add_parser("status", help="a run's state and progress (JSON)")
    common(q)
    q.add_argument("--run", required=True, metavar="RUN_ID")

    q = acts.add_parser("results", help="fetch a run's result as CSV or JSON")
    common(q)
    q.add_argument("--run", required=True, metavar="RUN_ID")
    q.add_argument("--watch", action="store_true", help="wait for the run, with a progress bar")
    q.add_argument("-o", "--output", required=True, metavar="OUT.csv|OUT.json")
    add_progress_flag(q)

    q = acts.add_parser("delete", help="delete a run (--run) or the whole project")
    common(q)
    q.add_argument("--run", default=None, metavar="RUN_ID")


def write_private(path: Path, doc: dict) -> None:
    """Write JSON readable and writable by its owner only (0600), atomically."""
    tmp = path.with_name(f".{path.name}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            json.dump(doc, fh, indent=2)
            fh.write("\n")
        os.chmod(tmp, 0o600)
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def read_tokens(path: str, party: int | None) -> tuple[dict, str]:
    """The token file's content and the token to use (a party's, or the result token)."""
    p = require_file(path)
    try:
        doc = json.loads(p.read_text(encoding="utf-8"))
        project = doc["project_id"]
    except (ValueError, KeyError, TypeError):
        raise InputError(f"{p}: not a token file written by pprl project create") from None
    if party is not None:
        tokens = doc.get("update_tokens")
        if isinstance(tokens, list):
            if not 0 <= party < len(tokens):
                raise InputError(f"{p}: --party {party}: the project has {len(tokens)} parties")
            return doc, tokens[party]
        if doc.get("party") != party:
            raise InputError(f"{p}: holds party {doc.get('party')}'s token, not party {party}'s")
    token = doc.get("update_token") or doc.get("result_token")
    if not token:
        raise InputError(f"{p}: holds no token")
    if not isinstance(project, str):
        raise InputError(f"{p}: project_id must be a string")
    return doc, token


def _client(args):
    try:
        from ..service.client import Client
    except ImportError as exc:  # pragma: no cover - httpx missing
        raise InputError(f"pprl project needs the service extra: pip install 'pprl[service]' "
                         f"({exc.name} is missing)") from None
    return Client(args.server)


def run(args: argparse.Namespace) -> int:
    """Run ``pprl project ACTION``."""
    client = _client(args)
    if args.action == "create":
        return _create(args, client)
    doc, token = read_tokens(args.tokens, args.party)
    pid = doc["project_id"]
    if args.action == "upload":
        require_file(args.clks)
        receipt = client.upload(pid, token, args.clks)
        if "update_token" in doc:
            write_private(Path(args.tokens), {**doc, "receipt_token": receipt["receipt_token"]})
        print(f"pprl project: {receipt.get('message', 'uploaded')}", file=sys.stderr)
    elif args.action == "run":
        threshold_arg(args.threshold)
        ext = {"blocking": args.blocking, "solver": args.solver}
        if args.k is not None:
            ext["k"] = args.k
        if args.seed is not None:
            ext["seed"] = args.seed
        out = client.create_run(pid, token, args.threshold, name=args.name, **ext)
        print(out["run_id"])  # alone on stdout: RUN=$(pprl project run ...)
        print(f"pprl project: run {out['run_id']} created (threshold {out['threshold']}); it "
              "starts when every party has uploaded", file=sys.stderr)
    elif args.action == "status":
        print(json.dumps(client.run_status(pid, args.run, token)))
    elif args.action == "results":
        return _results(args, client, pid, token)
    elif args.action == "delete":
        if args.run:
            client.delete_run(pid, args.run, token)
        else:
            client.delete_project(pid, token)
    return 0


def _create(args, client) -> int:
    out = check_output_path(args.output)
    schema_path = require_file(args.schema)
    try:
        schema = json.loads(schema_path.read_text(encoding="utf-8"))
    except ValueError as exc:
        raise InputError(f"{schema_path}: not valid JSON ({exc})") from None
    if args.parties < 2:
        raise InputError(f"--parties must be at least 2; got {args.parties}")
    reply = client.create_project(schema, args.result_type, args.parties, name=args.name,
                                  notes=args.notes, uses_blocking=args.blocked)
    doc = {"server": args.server, **reply}
    write_private(out, doc)
    for i, tok in enumerate(reply["update_tokens"]):
        write_private(out.with_name(f"{out.stem}.party-{i}.json"),
                      {"server": args.server, "project_id": reply["project_id"], "party": i,
                       "update_token": tok})
    print(f"pprl project: created {reply['project_id']} ({args.result_type}, {args.parties} "
          f"parties); tokens in {out} and {out.stem}.party-<i>.json (mode 0600)",
          file=sys.stderr)
    return 0


def _results(args, client, pid: str, token: str) -> int:
    from .._atomic import atomic_open

    out = check_output_path(args.output)
    if args.watch:
        st = client.wait(pid, args.run, token, progress=show_progress(args))
    else:
        st = client.run_status(pid, args.run, token)
    if st["state"] == "error":
        raise InputError(f"run {args.run} failed: {st.get('message', 'no message')}")
    if st["state"] != "completed":
        raise InputError(f"run {args.run} is not complete (state {st['state']}); "
                         "add --watch to wait for it")
    res = client.result(pid, args.run, token)
    with atomic_open(out, "w", encoding="utf-8", newline="") as fh:
        if out.suffix.lower() == ".json":
            json.dump(res, fh)
            fh.write("\n")
        elif "similarity_scores" in res:
            fh.write("a,b,score\n")
            for (pa, ra), (_, rb), score in res["similarity_scores"]:
                a, b = (ra, rb) if pa == 0 else (rb, ra)
                fh.write(f"{a},{b},{score!r}\n")
        elif "groups" in res:
            fh.write("group,party,row\n")
            for g, members in enumerate(res["groups"]):
                for party, row in members:
                    fh.write(f"{g},{party},{row}\n")
        elif "permutation" in res:
            fh.write("row,position\n")
            for row, pos in enumerate(res["permutation"]):
                fh.write(f"{row},{pos}\n")
        else:
            fh.write("position,mask\n")
            for pos, m in enumerate(res["mask"]):
                fh.write(f"{pos},{m}\n")
    n = len(next(iter(res.values()))) if res else 0
    print(f"pprl project: run {args.run}: {n} result rows -> {out}", file=sys.stderr)
    return 0
