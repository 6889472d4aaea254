"""Every public page: zero axe-core violations at WCAG 2.1 A and AA, no sideways scrolling."""

import pytest

from tests.e2e.a11y import assert_accessible
from tests.e2e.pages import PUBLIC_PAGES

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("catalog", "before_season"),
]

WIDTHS = (375, 1280)


def _open(page, url: str) -> None:
    response = page.goto(url, wait_until="load")
    assert response is not None and response.status == 200, f"{url}: {response and response.status}"


@pytest.mark.parametrize("path", PUBLIC_PAGES)
def test_public_page_has_no_wcag_21_aa_violations(live_server, page, path):
    _open(page, f"{live_server.url}{path}")
    assert_accessible(page, path)


@pytest.mark.parametrize("path", PUBLIC_PAGES)
def test_public_page_does_not_scroll_sideways(live_server, page, path):
    overflowing = []
    for width in WIDTHS:
        page.set_viewport_size({"width": width, "height": 900})
        _open(page, f"{live_server.url}{path}")
        scroll_width, inner_width = page.evaluate(
            "[document.documentElement.scrollWidth, window.innerWidth]"
        )
        if scroll_width > inner_width:
            overflowing.append(f"{width}px wide: scrollWidth {scroll_width} > {inner_width}")
    assert not overflowing, f"{path}: {overflowing}"


def test_the_menu_button_opens_and_closes_the_menu_on_a_phone(live_server, page):
    page.set_viewport_size({"width": 375, "height": 800})
    _open(page, f"{live_server.url}/")
    menu = page.get_by_role("button", name="Menu")
    calendar = page.locator("#site-nav").get_by_role("link", name="Calendar")
    assert menu.get_attribute("aria-expanded") == "false"
    assert not calendar.is_visible()
    menu.click()
    assert menu.get_attribute("aria-expanded") == "true"
    assert calendar.is_visible()
    menu.click()
    assert menu.get_attribute("aria-expanded") == "false"
    assert not calendar.is_visible()
