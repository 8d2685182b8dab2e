"""Sign-in for people, in a real browser: each role lands on its own pages; bad input gets
a GOV.UK error summary; sign-out ends the session; forms need their CSRF token."""

from __future__ import annotations

import re
from urllib.parse import urlencode

import httpx
import pytest
from playwright.sync_api import Page, expect

from tests.service.conftest import PASSWORD
from tests.web.conftest import Site, assert_accessible, sign_in, tab_to


@pytest.mark.parametrize(
    ("role", "home"), [("family", "/family"), ("officer", "/officer"), ("planner", "/planner")]
)
def test_each_role_signs_in_with_the_keyboard_and_lands_on_its_pages(
    page: Page, site: Site, role: str, home: str
) -> None:
    name = site.user(role, child_id=site.children()[0])
    page.goto(site.path("/"))
    expect(page).to_have_url(site.path("/sign-in"))
    assert_accessible(page)
    tab_to(page, "Username")
    page.keyboard.type(name)
    page.keyboard.press("Tab")
    page.keyboard.type(PASSWORD)
    tab_to(page, "Sign in")
    page.keyboard.press("Enter")
    expect(page).to_have_url(site.path(home))
    assert_accessible(page)
    cookie = next(c for c in page.context.cookies() if c["name"] == "placement_session")
    assert cookie["httpOnly"] and cookie["sameSite"] == "Lax"


def test_a_wrong_password_is_an_error_summary_linked_to_the_field(page: Page, site: Site) -> None:
    name = site.user("officer")
    sign_in(page, site, name, "not the password")
    expect(page).to_have_title("Error: Sign in – Find a school place (SEND)")
    summary = page.locator(".govuk-error-summary")
    expect(summary).to_contain_text("Enter a correct username and password")
    expect(summary).to_be_focused()
    summary.get_by_role("link").first.click()
    expect(page.get_by_label("Username")).to_be_focused()
    assert_accessible(page)


def test_empty_fields_are_named(page: Page, site: Site) -> None:
    page.goto(site.path("/sign-in"))
    page.get_by_role("button", name="Sign in").click()
    expect(page.locator(".govuk-error-summary")).to_contain_text("Enter your username")
    expect(page.locator(".govuk-error-summary")).to_contain_text("Enter your password")
    assert_accessible(page)


def test_sign_out_revokes_the_session(page: Page, site: Site) -> None:
    name = site.user("planner")
    sign_in(page, site, name)
    expect(page).to_have_url(site.path("/planner"))
    token = next(c for c in page.context.cookies() if c["name"] == "placement_session")["value"]
    page.get_by_role("button", name="Sign out").click()
    expect(page).to_have_url(re.compile(re.escape("/sign-in?done=You%20have%20signed%20out&sig=")))
    expect(page.locator(".govuk-notification-banner")).to_contain_text("You have signed out")
    # the old cookie no longer works, in the browser or replayed by hand
    page.goto(site.path("/planner"))
    expect(page).to_have_url(site.path("/sign-in"))
    r = httpx.get(
        site.path("/planner"), cookies={"placement_session": token}, follow_redirects=False
    )
    assert r.status_code == 303 and r.headers["location"] == "/sign-in"


def test_a_form_without_its_csrf_token_is_refused(site: Site) -> None:
    name = site.user("officer")
    r = httpx.post(site.path("/sign-in"), data={"username": name, "password": PASSWORD})
    assert r.status_code == 403
    assert "placement_session" not in r.cookies


def test_a_family_cannot_open_officer_pages(page: Page, site: Site) -> None:
    name = site.user("family", child_id=site.children()[1])
    sign_in(page, site, name)
    resp = page.goto(site.path("/officer"))
    assert resp is not None and resp.status == 403
    expect(page.get_by_role("heading", level=1)).to_have_text("You cannot do this")
    assert_accessible(page)


def test_pages_work_without_javascript(nojs_page: Page, site: Site) -> None:
    name = site.user("officer")
    sign_in(nojs_page, site, name)
    expect(nojs_page).to_have_url(site.path("/officer"))


def test_a_banner_in_a_link_made_elsewhere_is_not_shown(page: Page, site: Site) -> None:
    """A success banner shows only when this service redirected with it (signed): words put in
    a link by someone else (a phishing message, say) are not shown as the service's own."""
    fake = "Your place has been withdrawn. Call 0800 000 000"
    page.goto(site.path("/sign-in?") + urlencode({"done": fake}))
    expect(page.locator(".govuk-notification-banner")).to_have_count(0)
    page.goto(site.path("/sign-in?") + urlencode({"done": fake, "sig": "0" * 32}))
    expect(page.locator(".govuk-notification-banner")).to_have_count(0)
    assert fake not in page.content()
