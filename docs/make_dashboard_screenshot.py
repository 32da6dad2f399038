"""Regenerate docs/dashboard.png, the README's picture of ``pprl dashboard``.

Needs the dashboard extra, playwright and Debian's chromium::

    pip install -e ".[dashboard]" playwright && apt-get install chromium
    python docs/make_dashboard_screenshot.py            # writes docs/dashboard.png

It starts ``pprl dashboard --no-browser`` on a free port with the default data
set, waits for the widgets, opens the tab given by ``--tab`` and saves a
screenshot of the page.
"""

from __future__ import annotations

import argparse
import re
import shutil
import subprocess
import sys
from pathlib import Path

ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync"]


def main() -> None:
    """Start the dashboard, open the tab asked for and save its screenshot."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tab", default="threshold",
                        choices=["threshold", "parameters", "one record"])
    parser.add_argument("-o", default=str(Path(__file__).parent / "dashboard.png"))
    args = parser.parse_args()
    from playwright.sync_api import sync_playwright

    proc = subprocess.Popen([sys.executable, "-m", "pprl.cli", "dashboard", "--no-browser",
                             "--port", "0"], stdout=subprocess.PIPE, text=True)
    try:
        url = re.search(r"serving at (\S+)", proc.stdout.readline()).group(1)
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=shutil.which("chromium"), args=ARGS)
            page = browser.new_page(viewport={"width": 1280, "height": 900})
            page.goto(url, timeout=180_000)
            page.wait_for_selector(".pprl-threshold-plot img", timeout=180_000)
            if args.tab != "threshold":
                page.get_by_text(args.tab, exact=True).click()
                page.wait_for_timeout(3000)
            page.screenshot(path=args.o, full_page=True)
            browser.close()
        print(f"wrote {args.o}")
    finally:
        proc.terminate()
        proc.wait(timeout=30)


if __name__ == "__main__":
    main()
