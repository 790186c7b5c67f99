"""Headless Chromium (Debian's, driven by Playwright — no browser download) against a real
`civicloop serve` on loopback, on SQLite and PostgreSQL (the `live` server of tests/api)."""
from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest

from civicloop.settings import node_modules_dirs
from tests.api.conftest import PASSWORD, Live, add_user, live  # noqa: F401  (the server fixture, shared)

CHROMIUM = os.environ.get("CIVICLOOP_CHROMIUM") or shutil.which("chromium") or "/usr/bin/chromium"
DESKTOP = {"width": 1440, "height": 900}
PHONE = {"width": 390, "height": 844}
# A tiny valid PNG: the attachments judge type by content.
PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
    "1f15c4890000000d49444154789c6360f8cf0000000301010018dd8db0"
    "0000000049454e44ae426082")


def axe_path() -> Path:
    for base in node_modules_dirs():
        if (base / "axe-core" / "axe.min.js").is_file():
            return base / "axe-core" / "axe.min.js"
    raise RuntimeError("axe-core is missing from node_modules: run `make install`")


@pytest.fixture(scope="session")
def browser():
    if not Path(CHROMIUM).exists():
        if os.environ.get("CI"):
            raise RuntimeError(f"no Chromium at {CHROMIUM}: .ci/run installs Debian's chromium")
        pytest.skip("Chromium is not installed (apt-get install chromium)")
    from playwright.sync_api import sync_playwright
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        yield b
        b.close()


class Pages:
    """Opens pages on the live server for one account, desktop or phone, and checks them."""

    def __init__(self, browser, server: Live):
        self.browser, self.live = browser, server
        self.contexts = []
        self.errors: list[str] = []

    def open(self, path: str = "/", *, phone: bool = False, geolocation: dict | None = None,
             init_script: str | None = None):
        context = self.browser.new_context(
            viewport=PHONE if phone else DESKTOP, locale="zh-CN", timezone_id="Asia/Shanghai",
            is_mobile=phone, has_touch=phone, geolocation=geolocation,
            permissions=["geolocation"] if geolocation else [])
        context.set_default_timeout(15_000)
        if init_script:
            context.add_init_script(init_script)
        self.contexts.append(context)
        page = context.new_page()
        page.on("pageerror", lambda e: self.errors.append(f"{path}: {e} {e.stack}"))
        page.goto(self.live.url + path)
        return page

    def signed_in(self, username: str, path: str = "/", **kw):
        """A page opened already signed in (the token of the module's server, reused): what the
        sign-in form would have kept in localStorage. The form itself is tested by `sign_in`."""
        with self.live.client(username) as api:
            me = api.get("/api/v1/auth/me").json()
        session = {"token": self.live.tokens[username], "expires_at": "2999-01-01T00:00:00+08:00", **me}
        return self.open(path, init_script=f"localStorage.setItem('civicloop.session', {json.dumps(json.dumps(session))})",
                         **kw)

    def sign_in(self, username: str, path: str = "/", **kw):
        page = self.open(path, **kw)
        if path == "/portal":  # the portal opens on its report form; signing in is under 我的诉求
            page.locator("nav.bottom button[data-tab=mine]").click()
        page.get_by_label("用户名").fill(username)
        page.get_by_label("密码").fill(PASSWORD)
        page.get_by_role("button", name="登录").click()
        return page

    def close(self):
        for c in self.contexts:
            c.close()


@pytest.fixture
def pages(browser, live):  # noqa: F811
    opened = Pages(browser, live)
    yield opened
    opened.close()
    assert not opened.errors, opened.errors


def axe_violations(page, impacts=("serious", "critical")) -> list[dict]:
    """axe-core run in the page: the violations of the given impacts (rule id, impact, targets)."""
    if not page.evaluate("typeof window.axe !== 'undefined'"):
        page.add_script_tag(path=str(axe_path()))
    result = page.evaluate("axe.run(document, {runOnly: {type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21aa']}})")
    return [{"id": v["id"], "impact": v["impact"], "nodes": [n["target"] for n in v["nodes"]][:5]}
            for v in result["violations"] if v["impact"] in impacts]


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    """A failed browser test leaves a screenshot of each open page next to the server's log."""
    outcome = yield
    report = outcome.get_result()
    opened = item.funcargs.get("pages") if report.when == "call" and report.failed else None
    for i, context in enumerate(opened.contexts if opened else []):
        for j, page in enumerate(context.pages):
            path = Path(opened.live.server.log).parent / f"failed-{item.name}-{i}-{j}.png"
            page.screenshot(path=str(path))
            report.sections.append(("screenshot", str(path)))
