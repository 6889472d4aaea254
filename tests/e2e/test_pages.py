"""Every public page: zero axe-core violations at WCAG 2.1 A and AA, no sideways scrolling."""

import pytest
from axe_playwright_python.sync_playwright import Axe

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("catalog", "before_season"),
]

PUBLIC_PAGES = [
    "/",
    "/trainings/module-1/",
    "/programs/full-training/",
    "/calendar/",
    "/instructors/",
    "/instructors/harvey-schwartz/",
    "/accounts/login/",
    "/accounts/signup/",
    "/contact/",
]
WCAG_21_AA = {"runOnly": {"type": "tag", "values": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]}}
WIDTHS = (375, 1280)

_axe = Axe()


def _report(violations: list[dict]) -> str:
    """Each violation's rule, help text and offending nodes, as a failing test prints them."""
    lines = []
    for violation in violations:
        lines.append(f"{violation['id']} ({violation.get('impact')}): {violation['help']}")
        for node in violation["nodes"]:
            summary = " ".join(node.get("failureSummary", "").split())
            lines.append(f"    {node['target']}: {summary}")
    return "\n".join(lines)


def _open(page, url: str) -> None:
    response = page.goto(url, wait_until="load")
    assert response is not None and response.status == 200, f"{url}: {response and response.status}"


@pytest.mark.parametrize("path", PUBLIC_PAGES)
def test_public_page_has_no_wcag_21_aa_violations(live_server, page, path):
    _open(page, f"{live_server.url}{path}")
    violations = _axe.run(page, options=WCAG_21_AA).response["violations"]
    assert not violations, f"{path}:\n{_report(violations)}"


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
