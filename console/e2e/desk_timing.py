"""How long an officer waits for the desk: in Debian's Chromium, an officer already signed in at the
provider opens the console; the time runs from the navigation to the desk showing its work list (the
page is fresh each time, so the token in memory is gone and the sign-in goes through the provider
again, without a password, as it does for an officer every morning). Run by the benchmarks (bench/)
in a process of its own: Playwright's sync API does not run under eventlet.

    DESK_PASSWORD=… python -m console.e2e.desk_timing --gateway http://127.0.0.1:8000 --user org [--runs 5]

Prints JSON: each run's milliseconds to the desk, and the browser's own timing of GET /work.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time

from playwright.sync_api import sync_playwright

from console.e2e.browser import CHROMIUM, CHROMIUM_ARGS, Officer

# the desk is interactive when its list (or its "nothing waits") is on screen and nothing is loading
READY = ("() => document.querySelector('main h1') && !document.querySelector('main [role=status]')"
         " && (document.querySelector('[data-test=work-list] tbody tr')"
         " || document.querySelector('.el-empty'))")
WORK_TIMING = ("() => performance.getEntriesByType('resource')"
               ".filter((e) => new URL(e.name).pathname === '/work').map((e) => e.duration)")


def measure(gateway: str, user: str, password: str, runs: int) -> dict:
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            context = browser.new_context(viewport={"width": 1440, "height": 900}, locale="zh-CN")
            context.set_default_timeout(60_000)
            officer = Officer(context.new_page(), gateway, password)
            officer.sign_in(user)  # the provider's session: later visits sign in without a password
            page = officer.page
            interactive, work = [], []
            for _ in range(runs):
                started = time.monotonic()
                page.goto(officer.url(""))
                page.wait_for_function(READY, polling="raf")
                interactive.append(1000 * (time.monotonic() - started))
                work.extend(page.evaluate(WORK_TIMING))
            if officer.problems:
                raise RuntimeError(f"the desk had problems: {officer.problems}")
            return {"interactive_ms": interactive, "work_ms": work}
        finally:
            browser.close()


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--gateway", required=True)
    parser.add_argument("--user", required=True)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args(argv)
    # the password from the environment: a command line is for anyone on the machine to read
    print(json.dumps(measure(args.gateway, args.user, os.environ["DESK_PASSWORD"], args.runs)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
