"""The roster's table is written in Python from plain rows (registration.admin.roster_table);
it must read and submit exactly as the admin's own list_editable table would, for the
coordinator and for staff who may only view, and a roster of 500 shown at once still takes
the same few queries."""

from html.parser import HTMLParser

import pytest
from django.contrib.admin.views.main import ChangeList
from django.contrib.auth.models import Permission
from django.db import connection
from django.test.utils import CaptureQueriesContext

from catalog.models import CreditType
from registration.admin.roster_table import RosterChangeList
from registration.models import Enrolment
from tests.admin_forms import admin_form_data
from tests.admin_pages import rows
from tests.factories import StaffFactory, UserFactory, login_staff
from tests.roster import at, enrol, grow_roster, roster_url, trainee

pytestmark = pytest.mark.usefixtures("catalog")


class _Tokens(HTMLParser):
    """The table's tags (attributes in any order) and text, whitespace between tags aside."""

    def __init__(self):
        super().__init__()
        self.tokens: list[tuple] = []

    def handle_starttag(self, tag, attrs):
        self.tokens.append(("start", tag, tuple(sorted(attrs))))

    def handle_endtag(self, tag):
        self.tokens.append(("end", tag))

    def handle_data(self, data):
        if data.strip():
            self.tokens.append(("text", " ".join(data.split())))


def table_tokens(response) -> list[tuple]:
    """The roster's table and the hidden inputs before it, as tokens."""
    page = response.content.decode()
    start = page.index(
        '<div class="hiddenfields">' if "hiddenfields" in page else '<div class="results">'
    )
    end = page.index("</table>", start)
    parser = _Tokens()
    parser.feed(page[start:end])
    return parser.tokens


@pytest.fixture
def varied_roster(session):
    """Rows of every kind: flagged, counted in full with a reason, unpaid, complimentary,
    without a profile or a CE credit type or times, and names that need escaping."""
    apa = CreditType.objects.get(code="apa")
    entries = [
        enrol(session, trainee("Ada <b>Abara</b> & \"Co\"", credentials="PhD"), credit="apa",
              signed_in_at=at(9, 25), signed_out_at=at(17)),
        enrol(session, trainee("Ben Bell", credentials=""), method="complimentary",
              signed_in_at=at(9), signed_out_at=at(15, 30), override_reason="Doctor's note"),
        enrol(session, trainee("Eva Diaz"), status="held", method="offline"),
        enrol(session, UserFactory(first_name="No", last_name="Profile", email="np@example.com"),
              signed_in_at=at(8, 55), signed_out_at=at(17, 2), attendance="attended"),
        enrol(session, trainee("Zoe Zoom", profession="psychologist"), credit="apa",
              signed_in_at=at(9), signed_out_at=at(17), zoom_connected_minutes=120,
              attendance="partial"),
    ]  # fmt: skip
    assert apa and len(entries) == 5
    return entries


def admins_own_rendering(monkeypatch):
    """Show the roster as the admin renders a changelist (forms and widgets per row)."""
    monkeypatch.setattr(RosterChangeList, "get_results", ChangeList.get_results)


def test_the_written_table_is_the_admins_own_for_the_coordinator(
    after_session, admin_client, session, varied_roster, monkeypatch
):
    url = roster_url(session)
    written = admin_client.get(url)
    written_data = admin_form_data(admin_client, url)
    admins_own_rendering(monkeypatch)
    own = admin_client.get(url)

    assert table_tokens(written) == table_tokens(own)
    assert written_data == admin_form_data(admin_client, url)
    assert rows(written) == rows(own)
    shown = rows(written)
    assert len(shown) == 5
    assert shown[0].startswith('Ada <b>Abara</b> & "Co", PhD')  # escaped, read as typed
    assert "<b>" not in written.content.decode()


def test_the_written_table_is_the_admins_own_for_staff_who_only_view(
    after_session, client, session, varied_roster, monkeypatch
):
    staff = StaffFactory()
    staff.user_permissions.add(Permission.objects.get(codename="view_rosterentry"))
    login_staff(client, staff)
    url = roster_url(session)
    written = client.get(url)
    admins_own_rendering(monkeypatch)
    own = client.get(url)

    assert table_tokens(written) == table_tokens(own)
    assert "Counted in full: Doctor's note" in " ".join(rows(written))
    assert 'name="form-0-attendance"' not in written.content.decode()


def test_a_save_with_an_error_shows_the_rows_with_the_error_next_to_the_field(
    after_session, admin_client, session, varied_roster
):
    data = admin_form_data(admin_client, roster_url(session))
    index = next(
        key.split("-")[1]
        for key, value in data.items()
        if key.endswith("-id") and value == str(varied_roster[0].pk)
    )
    data.update({f"form-{index}-signed_out_at_1": "08:00:00", "_save": "Save"})
    response = admin_client.post(roster_url(session), data)
    assert response.status_code == 200
    assert "Sign-out must come after sign-in." in response.content.decode()
    assert len(rows(response)) == 5
    assert Enrolment.objects.get(pk=varied_roster[0].pk).signed_out_at == at(17)


@pytest.mark.parametrize("show_all", [False, True])
def test_a_roster_of_500_takes_no_more_queries_than_one_of_50(
    after_session, admin_client, session, show_all, django_assert_max_num_queries
):
    url = roster_url(session) + ("&all=" if show_all else "")
    grow_roster(session, 50)
    admin_client.get(url)  # the site settings are cached from here on
    with CaptureQueriesContext(connection) as fifty:
        assert len(rows(admin_client.get(url))) == 50
    grow_roster(session, 450)
    with django_assert_max_num_queries(len(fifty)):
        response = admin_client.get(url)
    assert len(rows(response)) == (500 if show_all else 100)
    assert len(fifty) <= 8
