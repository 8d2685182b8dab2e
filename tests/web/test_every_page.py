"""Every page a person can reach, for each role: sign in, follow every link on the service's
own pages (breadth first), and check each page answers without a server error, has one h1
and a title, passes axe-core at WCAG 2.2 AA, and (for a family) shows no codes."""

from __future__ import annotations

import re
from urllib.parse import urljoin, urlsplit

import pytest
from playwright.sync_api import Page

from placement.service.areas.service import setting_choices
from tests.web.conftest import Site, assert_accessible, sign_in

MAX_PAGES = 40  # per role: enough to reach every kind of page, not every child
# what a family must never see: SEN2 need codes, setting-kind codes, URN-like and grid ids
FAMILY_CODES = re.compile(
    r"\b(ASD|SLCN|SEMH|MLD|SLD|PMLD|SpLD|HI|VI|MSI|PD|OTH|NSA|rp_su|special_nm|"
    r"special_la|special_academy|independent_special|fe_college|E\d{6} N\d{6})\b"
)
SKIP = ("/static/", "/docs", "/openapi.json", "/redoc")


def _links(page: Page, base: str) -> list[str]:
    hrefs = page.eval_on_selector_all("a[href]", "els => els.map(e => e.getAttribute('href'))")
    out = []
    for h in hrefs:
        if not h or h.startswith(("#", "mailto:", "tel:")):
            continue
        url = urljoin(page.url, h)
        parts = urlsplit(url)
        if f"{parts.scheme}://{parts.netloc}" != base or parts.path.startswith(SKIP):
            continue
        if re.search(r"\.(csv|json|toml)$", parts.path):  # downloads, not pages
            continue
        out.append(url.split("#")[0])
    return out


@pytest.mark.parametrize("role", ["family", "officer", "planner"])
def test_every_reachable_page_is_accessible(page: Page, site: Site, role: str) -> None:
    name = site.user(role, child_id=site.children()[2])
    with site.session() as s:
        rows = setting_choices(s, area_id=site.area_id)
    setting_names = sorted((r["name"] for r in rows), key=len, reverse=True)
    sign_in(page, site, name)
    start = page.url
    queue, seen = [start], {start}
    visited = 0
    # pages whose path differs only in an id are one kind of page: visit two of each
    kinds: dict[str, int] = {}
    while queue and visited < MAX_PAGES:
        url = queue.pop(0)
        kind = re.sub(r"/[A-Za-z0-9_.\-]*\d[A-Za-z0-9_.\-]*", "/{id}", urlsplit(url).path)
        if kinds.get(kind, 0) >= 2:
            continue
        kinds[kind] = kinds.get(kind, 0) + 1
        resp = page.goto(url)
        assert resp is not None and resp.status < 500, f"{url}: {resp and resp.status}"
        if "sign-in" in page.url and "sign-in" not in url:
            pytest.fail(f"{url} signed {role} out")
        visited += 1
        assert page.title().strip(), f"{url}: no title"
        assert page.locator("h1").count() == 1, f"{url}: not exactly one h1"
        assert_accessible(page)
        if role == "family":
            text = page.locator("main").inner_text()
            for name in setting_names:  # a setting's own name ("... (ASD unit)") is a name
                text = text.replace(name, "")
            hit = FAMILY_CODES.search(text)
            assert hit is None, f"{url}: a family sees the code {hit.group(0)!r}"
        for link in _links(page, site.url):
            if link not in seen and "sign-out" not in link:
                seen.add(link)
                queue.append(link)
    assert visited >= 2, f"{role}: only {visited} page(s) reachable"
