"""The visitor's journeys, in a real browser."""

import pytest
from icalendar import Calendar
from playwright.sync_api import expect

from catalog.models import Offering

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("catalog", "before_season"),
]


def test_visitor_browses_the_catalog_and_downloads_module_1_ics(live_server, page, screenshot):
    module_1 = Offering.objects.get(slug="module-1")
    objectives = [objective.text for objective in module_1.objectives.all()]
    assert objectives

    page.goto(f"{live_server.url}/")
    for group in ("Didactic modules", "Music and medical modules", "Experiential training"):
        expect(page.get_by_role("heading", name=group, exact=True)).to_be_visible()
    screenshot(page, "catalog-home")

    page.locator("#offering-module-1").get_by_role("link", name=module_1.title).click()
    expect(page).to_have_url(f"{live_server.url}/trainings/module-1/")
    expect(page.get_by_role("heading", level=1)).to_have_text(module_1.title)
    listed = page.locator("ol.objectives > li")
    expect(listed).to_have_text(objectives)
    first_session = page.locator("table.sessions-table tbody tr").first
    expect(first_session).to_contain_text("Mon, Jun 21, 2027")
    screenshot(page, "offering-module-1")

    with page.expect_download() as download_info:
        first_session.get_by_role("link", name="Add the session of").click()
    download = download_info.value
    assert download.suggested_filename == "module-1-2027-06-21.ics"
    calendar = Calendar.from_ical(download.path().read_bytes())
    events = list(calendar.walk("VEVENT"))
    assert len(events) == 1
    assert module_1.title in str(events[0]["SUMMARY"])
    assert events[0].decoded("DTSTART").date().isoformat() == "2027-06-21"
