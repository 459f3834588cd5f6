"""The screenshots of docs/console.md, taken from the suite `make run` runs with `cadrectl seed-demo`'s
district, signed in as the local provider's demo users:

    make run
    TOKEN=$(make -s token ARGS='--sub seed --role ORG_ADMIN')
    cadrectl seed-demo --url http://127.0.0.1:8000 --token "$TOKEN"
    .venv/bin/python -m console.e2e.screenshots --token "$TOKEN"     # writes docs/console/*.png
"""

from __future__ import annotations

import argparse

import requests
from playwright.sync_api import sync_playwright

from console.e2e.browser import CHROMIUM, CHROMIUM_ARGS, CONSOLE, Officer

ROOT = CONSOLE.parent
OUT = ROOT / "docs" / "console"


def first(url: str, path: str, token: str, **query) -> dict:
    answer = requests.get(url + path, params={"limit": 1, **query}, timeout=30,
                          headers={"Authorization": f"Bearer {token}"})
    answer.raise_for_status()
    items = answer.json()
    return (items if isinstance(items, list) else items.get("items", []))[0]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--url", default="http://127.0.0.1:8000")
    parser.add_argument("--token", required=True, help="an ORG_ADMIN token, to find the demo's records")
    args = parser.parse_args()
    password = (ROOT / ".stack" / "idp.env").read_text().split("=", 1)[1].strip()
    cycle = first(args.url, "/appraisal/cycles", args.token, unit_id="DEMO-JA-DZ", year=2025)
    case = first(args.url, "/accountability/cases", args.token)
    application = first(args.url, "/tolerance/applications", args.token)
    shots = {
        "wang.org": [("desk", ""), ("appraisal", "appraisal"),
                     ("cycle", f"appraisal/cycles/{cycle['cycle_id']}"), ("cadre", "cadres/DEMO-JA-DZ-005"),
                     ("talent", "talent"), ("reports", "reports")],
        "zhao.jw": [("accountability", "accountability"), ("case", f"accountability/cases/{case['case_id']}"),
                    ("tolerance", "tolerance"),
                    ("application", f"tolerance/applications/{application['application_id']}")],
        "sun.care": [("care", "care")],
        "zheng.audit": [("audit", "audit")],
        "cadre": [("own-profile", "cadres/DEMO-JA-DZ-005")],
    }
    OUT.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        for username, pages in shots.items():
            context = browser.new_context(viewport={"width": 1440, "height": 900}, locale="zh-CN")
            person = Officer(context.new_page(), args.url, password).sign_in(username)
            for name, path in pages:
                page = person.open(path)
                page.wait_for_load_state("networkidle")
                page.screenshot(path=OUT / f"{name}.png")
                print(f"{name}: {path or 'desk'}")
            if username == "wang.org":
                person.open("")
                page.get_by_text("English", exact=True).click()
                page.wait_for_load_state("networkidle")
                page.screenshot(path=OUT / "desk-en.png")
            context.close()
        context = browser.new_context(viewport={"width": 1440, "height": 900}, locale="zh-CN")
        page = context.new_page()
        page.goto(f"{args.url}/console/")
        page.wait_for_url("**/interaction/**")
        page.screenshot(path=OUT / "sign-in.png")
        browser.close()


if __name__ == "__main__":
    main()
