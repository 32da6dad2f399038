"""``pprl dashboard``: the workshop explorers as one web page, served through Voila."""

from __future__ import annotations

import argparse
import importlib.util
import os
import signal
import socket
import subprocess
import sys
import time
import webbrowser

from ..errors import InputError

__all__ = ["add_parser", "run", "DEFAULT_PORT"]

DEFAULT_PORT = 8866
_NEEDED = ("voila", "ipywidgets", "matplotlib", "ipykernel")


def add_parser(sub: argparse._SubParsersAction) -> None:
    """Register the ``pprl dashboard`` sub-command and its options."""
    p = sub.add_parser(
        "dashboard",
        help="the workshop explorers (threshold, parameters, one record) as a web page",
        description=(
            "Serve the threshold explorer, the parameter explorer (with an attack's privacy "
            "readout) and one record's journey from tokens to bits as one web page, through "
            "Voila (pip install 'pprl[dashboard]'). The records are encoded with a secret "
            "drawn for each page, never shown. Stop it with Ctrl+C."
        ),
    )
    # the default is pprl.viz.dashboard.DEFAULT_DATA, not imported here: pprl --help loads
    # neither numpy nor matplotlib (tests/test_dashboard.py checks the two agree)
    p.add_argument("--data", default=None, metavar="NAME|A.csv,B.csv,TRUTH.csv",
                   help="a shipped data set (default au-1k) or two parties' CSVs with the "
                        "person columns and a truth a,b")
    p.add_argument("--records", "-n", type=int, default=None, metavar="N",
                   help="records per party, sampled (default: all)")
    p.add_argument("--seed", type=int, default=0, help="seed of the sample and the attack")
    p.add_argument("--host", default="127.0.0.1",
                   help="address to listen on (default 127.0.0.1: this machine only)")
    p.add_argument("--port", type=int, default=DEFAULT_PORT, metavar="P",
                   help=f"port (default {DEFAULT_PORT}; 0 picks a free one)")
    p.add_argument("--no-browser", action="store_true", help="do not open a browser")
    p.set_defaults(func=run)


def _require_extra() -> None:
    missing = [m for m in _NEEDED if importlib.util.find_spec(m) is None]
    if missing:
        raise InputError(f"the dashboard needs {', '.join(missing)}, from the dashboard extra: "
                         "pip install 'pprl[dashboard]'")


def _bind_port(host: str, port: int) -> int:
    """The port to serve on; refuse one in use (checked by binding it)."""
    if not 0 <= port <= 65535:
        raise InputError(f"--port {port}: expected a port number from 0 to 65535")
    with socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET) as s:
        try:
            s.bind((host, port))
        except OSError as exc:
            raise InputError(f"--port {port}: cannot listen on {host}:{port} "
                             f"({exc.strerror or exc}); is another server using it? "
                             "Choose another port with --port") from None
        return s.getsockname()[1]


def _wait_listening(host: str, port: int, proc: subprocess.Popen, timeout: float) -> bool:
    end = time.monotonic() + timeout
    while time.monotonic() < end and proc.poll() is None:
        try:
            with socket.create_connection((host, port), timeout=0.5):
                return True
        except OSError:
            time.sleep(0.1)
    return False


def run(args: argparse.Namespace) -> int:
    """Check the data and the port, then run Voila on the shipped notebook until stopped."""
    from ..viz.dashboard import DEFAULT_DATA, NOTEBOOK, load_dashboard_data

    _require_extra()
    args.data = args.data or DEFAULT_DATA
    data = load_dashboard_data(args.data, records=args.records, rng=args.seed)
    port = _bind_port(args.host, args.port)
    env = dict(os.environ, PPRL_DASHBOARD_DATA=args.data, PPRL_DASHBOARD_SEED=str(args.seed),
               MPLBACKEND="Agg")
    if args.records is not None:
        env["PPRL_DASHBOARD_RECORDS"] = str(args.records)
    else:
        env.pop("PPRL_DASHBOARD_RECORDS", None)
    cmd = [sys.executable, "-m", "voila", str(NOTEBOOK), f"--port={port}",
           f"--Voila.ip={args.host}", "--no-browser", "--theme=light",
           "--Voila.log_level=ERROR", "--VoilaConfiguration.show_tracebacks=False"]
    proc = subprocess.Popen(cmd, env=env, stdin=subprocess.DEVNULL)
    # a SIGTERM (a service manager, a test's terminate()) stops Voila too, as Ctrl+C does
    previous = signal.signal(signal.SIGTERM, _interrupt)
    try:
        host = "localhost" if args.host in ("127.0.0.1", "0.0.0.0", "::1", "::") else args.host
        url = f"http://{host}:{port}/"
        if not _wait_listening(args.host if args.host not in ("0.0.0.0", "::") else "127.0.0.1",
                               port, proc, timeout=60):
            proc.terminate()
            proc.wait(timeout=10)
            print(f"pprl dashboard: error: Voila did not start on port {port} (exit status "
                  f"{proc.returncode})", file=sys.stderr)
            return 1
        print(f"pprl dashboard: {data.name}, {len(data.records_a):,} x {len(data.records_b):,} "
              f"records; serving at {url} (Ctrl+C to stop)", flush=True)
        if not args.no_browser:
            webbrowser.open(url)
        return proc.wait()
    except KeyboardInterrupt:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
        print("pprl dashboard: stopped", file=sys.stderr)
        return 0
    finally:
        signal.signal(signal.SIGTERM, previous)
        if proc.poll() is None:
            proc.terminate()


def _interrupt(signum, frame):  # noqa: ARG001
    raise KeyboardInterrupt
