"""One person at one browser, in Debian's Chromium driven by Playwright: the tests (conftest.py) and the
screenshots of docs/console.md (screenshots.py) use the console through this."""

from __future__ import annotations

import os
import re
from pathlib import Path

from playwright.sync_api import Page

CONSOLE = Path(__file__).resolve().parents[1]
CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
# Debian's Chromium in a container: no sandbox (no user namespaces), no GPU, nothing fetched
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]
AXE = CONSOLE / "node_modules" / "axe-core" / "axe.min.js"


# the select lists open on the page now (closed ones stay in the body, hidden)
OPEN_LISTS = ("[...document.querySelectorAll('.el-select__popper')]"
              ".filter((e) => e.style.display !== 'none' && e.getClientRects().length > 0)")


class Officer:
    """One person at one browser: signs in through the provider's page, then uses the console."""

    def __init__(self, page: Page, base_url: str, password: str):
        self.page, self.base_url, self.password = page, base_url, password
        self.problems: list[str] = []
        page.on("pageerror", lambda exc: self.problems.append(f"page error: {exc}"))  # a script that threw
        # a page keeps within the gateway's requests per token: it never meets 429
        page.on("response", lambda answer: answer.status == 429 and self.problems.append(
            f"429 from {answer.url}"))
        # a Content-Security-Policy violation the page reports (the policy must hold as written)
        page.add_init_script("window.__csp = []; document.addEventListener('securitypolicyviolation',"
                             " (e) => window.__csp.push(e.violatedDirective + ' ' + e.blockedURI));")

    def url(self, path: str = "") -> str:
        return f"{self.base_url}/console/{path.lstrip('/')}"

    def sign_in(self, username: str, path: str = "") -> Officer:
        self.page.goto(self.url(path))
        self.page.wait_for_url("**/interaction/**")
        self.page.fill("#username", username)
        self.page.fill("#password", self.password)
        self.page.click("button[type=submit]")
        self.page.wait_for_url(self.url(path).split("?")[0] + "**")
        self.page.wait_for_selector("main h1")
        self.settled()
        return self

    def open(self, path: str) -> Page:
        """A console page by its own link, as the menu or a record's link goes (no reload: the token
        is in this page's memory)."""
        self.page.evaluate("(to) => { history.pushState({}, '', to); "
                           "dispatchEvent(new PopStateEvent('popstate')); }", f"/console/{path.lstrip('/')}")
        self.page.wait_for_selector("main h1")
        self.settled()
        return self.page

    def settled(self) -> None:
        """Whatever the page is loading has come (LoadState shows role=status meanwhile)."""
        self.page.wait_for_selector("main [role=status]", state="detached")
        self.page.wait_for_load_state("networkidle")

    def choose(self, select, option: str, multiple: bool = False) -> None:
        """An Element Plus select (its root, or its input): open it and click the option whose text is
        exactly ``option`` in the list that opened (lists are appended to the body, one per select)."""
        combobox = select if select.get_attribute("role") == "combobox" else select.locator("[role=combobox]")
        self.page.wait_for_function(f"() => {OPEN_LISTS}.length === 0")
        # the input lies under the select's placeholder: click the box around both, as a person does
        combobox.locator("xpath=ancestor::div[contains(@class,'el-select__wrapper')][1]").click()
        self.page.wait_for_function(f"() => {OPEN_LISTS}.length === 1")
        self.page.locator(".el-select__popper:visible .el-select-dropdown__item").filter(
            has_text=re.compile(rf"^\s*{re.escape(option)}\s*$")).first.click()
        if multiple:
            self.page.keyboard.press("Escape")
        self.page.wait_for_function(f"() => {OPEN_LISTS}.length === 0")

    def axe(self) -> list[dict]:
        """axe-core's serious and critical violations on the page as it stands (axe runs through the
        DevTools protocol: the page's CSP, which forbids injected scripts, is left as it is)."""
        if not self.page.evaluate("typeof window.axe !== 'undefined'"):
            self.page.evaluate(AXE.read_text(encoding="utf-8") + "\n;undefined")
        result = self.page.evaluate("axe.run(document, {resultTypes: ['violations']})")
        return [{"id": v["id"], "impact": v["impact"], "help": v["help"],
                 "nodes": [n["target"] for n in v["nodes"]][:5]}
                for v in result["violations"] if v["impact"] in ("serious", "critical")]

    def csp_violations(self) -> list[str]:
        return self.page.evaluate("window.__csp || []")
