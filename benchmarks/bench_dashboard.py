"""How quickly ``pprl dashboard`` answers a workshop: time to an interactive page and
the redraw after a slider move, in Debian's chromium, at the default size and at
2,000 x 2,000 (targets: interactive within 15 s of the command; a redraw within 1 s).

    python benchmarks/bench_dashboard.py                 # au-1k (default) and au-10k x 2,000
    python benchmarks/bench_dashboard.py --repeats 5

The redraw is the wall time from typing a new threshold into the slider's readout to
the new F1 text and plot image in the page (what a participant waits for).
"""

from __future__ import annotations

import argparse
import platform
import re
import shutil
import subprocess
import sys
import time

ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync"]


def one(data: str, records: int | None, moves: int) -> tuple[float, list[float]]:
    from playwright.sync_api import sync_playwright

    cmd = [sys.executable, "-m", "pprl.cli", "dashboard", "--no-browser", "--port", "0",
           "--data", data] + (["--records", str(records)] if records else [])
    t0 = time.monotonic()
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, text=True)
    try:
        url = re.search(r"serving at (\S+)", proc.stdout.readline()).group(1)
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=shutil.which("chromium"), args=ARGS)
            page = browser.new_page(viewport={"width": 1400, "height": 1000})
            page.goto(url, timeout=300_000)
            page.wait_for_selector(".pprl-threshold-plot img", timeout=300_000)
            ready = time.monotonic() - t0
            redraws = []
            for i in range(moves):
                text = page.inner_text(".pprl-threshold-summary")
                src = page.locator(".pprl-threshold-plot img").first.get_attribute("src")
                t = time.monotonic()
                page.locator(".pprl-threshold-slider .widget-readout").click()
                page.keyboard.press("Control+A")
                page.keyboard.type(f"{0.70 + 0.04 * (i % 6):.2f}")
                page.keyboard.press("Enter")
                while (page.inner_text(".pprl-threshold-summary") == text or
                       page.locator(".pprl-threshold-plot img").first.get_attribute("src")
                       == src):
                    time.sleep(0.02)
                redraws.append(time.monotonic() - t)
            browser.close()
        return ready, redraws
    finally:
        proc.terminate()
        proc.wait(timeout=30)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=1)
    parser.add_argument("--moves", type=int, default=5)
    args = parser.parse_args()
    model = next((line.split(":", 1)[1].strip() for line in open("/proc/cpuinfo")
                  if line.startswith("model name")), platform.machine())
    print(f"CPU: {model}")
    for label, data, records in [("default (au-1k, 1,000 x 1,000)", "au-1k", None),
                                 ("au-10k, 2,000 x 2,000", "au-10k", 2000)]:
        for _ in range(args.repeats):
            ready, redraws = one(data, records, args.moves)
            redraws.sort()
            print(f"{label}: interactive after {ready:.1f} s (target 15 s); threshold redraw "
                  f"median {redraws[len(redraws) // 2]:.2f} s, max {redraws[-1]:.2f} s "
                  "(target 1 s)")


if __name__ == "__main__":
    main()
