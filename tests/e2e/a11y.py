"""axe-core at WCAG 2.1 A and AA, for public pages and for every step of the journeys."""

from axe_playwright_python.sync_playwright import Axe

WCAG_21_AA = {"runOnly": {"type": "tag", "values": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]}}

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


def assert_accessible(page, step: str = "") -> None:
    """Fails with axe's own report when the page as it stands has any WCAG 2.1 A/AA violation."""
    violations = _axe.run(page, options=WCAG_21_AA).response["violations"]
    assert not violations, f"{step or page.url}:\n{_report(violations)}"
