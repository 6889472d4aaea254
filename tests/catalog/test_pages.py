"""The public catalog pages, as a visitor sees them."""

import re

import pytest
from django.urls import reverse
from icalendar import Calendar

from catalog.models import Offering, Session
from tests.factories import EnrolmentFactory, UserFactory

pytestmark = pytest.mark.usefixtures("catalog", "before_season")

APA_STATEMENT = (
    "Polaris Insight Center is approved by the American Psychological Association to sponsor "
    "continuing education for psychologists. Polaris Insight Center maintains responsibility "
    "for this program and its content."
)


def text(response) -> str:
    """The page's text as a reader sees it: tags dropped, whitespace collapsed."""
    html = response.content.decode()
    html = re.sub(r"<(script|style)\b.*?</\1>", " ", html, flags=re.S)
    plain = re.sub(r"<[^>]+>", " ", html)
    plain = plain.replace("&amp;", "&").replace("&#x27;", "'").replace("&quot;", '"')
    return re.sub(r"\s+", " ", plain).strip()


def test_home_groups_every_offering_in_order(client):
    page = text(client.get("/"))
    headings = [
        "Didactic modules",
        "Music and medical modules",
        "Experiential training",
        "Residential training",
    ]
    positions = [page.index(heading) for heading in headings]
    assert positions == sorted(positions)
    for offering in Offering.objects.all():
        assert offering.title in page, offering.title
    didactic = page[positions[0] : positions[1]]
    assert all(f"Module {n}" in didactic for n in range(1, 8))
    specialty = page[positions[1] : positions[2]]
    assert "Music Module" in specialty and "Rainfall Medical Module" in specialty
    residential = page[positions[3] :]
    assert "Residential Level 1" in residential and "Residential Level 2" in residential


def test_home_shows_price_hours_ce_delivery_and_dates(client):
    page = text(client.get("/"))
    assert "$350 ($325 tuition + $25 administrative fee)" in page
    assert "$300 ($275 tuition + $25 administrative fee)" in page
    assert "APA CE: 8 CE credits · California BRN CE: 8 contact hours" in page
    assert "APA CE: 4 CE credits" in page
    assert "8 training hours" in page and "5 training hours" in page
    assert "Live on Zoom" in page and "In person" in page
    assert "Mon, Jun 21, 2027 · 9:00 AM – 5:00 PM PT" in page
    assert "Mon, Jun 14, 2027 · 8:00 AM – 12:00 PM PT" in page
    assert "Dates to be announced" in page
    assert "$2,550" in page and "$2,400 when the same modules are bought one by one" in page


def test_offering_page_shows_what_sponsors_publish(client):
    page = text(client.get("/trainings/module-2/"))
    for objective in Offering.objects.get(slug="module-2").objectives.all():
        assert objective.text in page
    assert "Harvey Schwartz, PhD" in page and "Veronika Gold, LMFT" in page
    assert "Sat, Jul 31, 2027 · 9:00 AM – 5:00 PM PT" in page
    assert "40 of 40" in page
    assert "Tuition $325 Administrative fee $25 Total $350" in page
    assert APA_STATEMENT in page
    assert "BRN Provider CEP16887" in page
    assert "Module 1 is required first." in page
    assert "Open registration" in page
    assert "Recommended sequence" in page
    assert "Refund and cancellation policy" in page
    assert "Cancel up to 14 days before your session" in page
    assert "What carries no credit" in page
    assert "submitted the course evaluation" in page


def test_offering_page_links_its_instructors(client):
    response = client.get("/trainings/module-4/")
    html = response.content.decode()
    assert reverse("catalog:instructor", kwargs={"slug": "marina-bystritsky"}) in html
    assert reverse("catalog:instructor", kwargs={"slug": "steve-rosonke"}) in html


@pytest.mark.parametrize(
    ("slug", "expected"),
    [
        (
            "rainfall-medical-module",
            [
                "CEs are not offered at this time.",
                "medical providers",
                "This training carries no continuing-education credit.",
            ],
        ),
        (
            "experiential-workshop",
            ["Medical and psychological intake required", "Dates to be announced", "$650"],
        ),
        ("practicum", ["By invitation only", "Price to be announced"]),
        ("residential-level-1", ["Dates to be announced", "Leave your name"]),
    ],
)
def test_gated_offerings_state_their_rule(client, slug, expected):
    page = text(client.get(f"/trainings/{slug}/"))
    for phrase in expected:
        assert phrase in page, phrase


def test_seats_left_count_confirmed_and_live_holds_only(client, django_user_model):
    session = Session.objects.get(offering__slug="module-7")
    EnrolmentFactory.create_batch(3, session=session, status="confirmed")
    EnrolmentFactory(session=session, status="held", hold_expires_at="2027-01-15T12:00:00-08:00")
    EnrolmentFactory(session=session, status="held", hold_expires_at="2027-01-15T09:00:00-08:00")
    EnrolmentFactory(session=session, status="cancelled")
    assert "36 of 40" in text(client.get("/trainings/module-7/"))


def test_full_session_says_full(client):
    session = Session.objects.get(offering__slug="module-2")
    session.capacity = 2
    session.save()
    EnrolmentFactory.create_batch(2, session=session, status="confirmed")
    page = text(client.get("/trainings/module-2/"))
    assert "Full" in page and "of 2" not in page


def test_full_training_page_compares_bundle_and_a_la_carte(client):
    page = text(client.get("/programs/full-training/"))
    assert "7 modules · 56 training hours" in page
    assert "Tuition $2,400 Administrative fee $150 Full training $2,550" in page
    assert "The same modules bought one by one $2,400" in page
    for number in range(1, 8):
        assert f"Module {number}:" in page


def test_instructor_page_shows_bio_and_modules(client):
    page = text(client.get("/instructors/steve-rosonke/"))
    assert "Steve Rosonke, MD" in page
    assert "Rainfall Medicine" in page
    for label in ("Module 1", "Module 4", "Module 7", "Rainfall Medical Module"):
        assert label in page
    assert "Module 2" not in page


def test_instructor_list_names_everyone(client):
    page = text(client.get("/instructors/"))
    assert page.count("Teaches:") == 17
    assert "Kelley O’Donnell, PhD, MD" in page or "Kelley O'Donnell, PhD, MD" in page


def test_calendar_lists_upcoming_sessions_and_filters(client):
    page = text(client.get("/calendar/"))
    assert page.count(".ics") >= 17
    music = text(client.get("/calendar/", {"kind": "music"}))
    assert "Sat, Jul 17, 2027 · 9:00 AM – 1:00 PM PT" in music
    assert "Module 1" not in music.split("Upcoming sessions")[-1]


def test_calendar_rejects_unknown_filter_without_error(client):
    response = client.get("/calendar/", {"kind": "<script>alert(1)</script>", "delivery": "x"})
    assert response.status_code == 400
    assert "One of the filters was not understood" in text(response)
    assert "<script>alert(1)</script>" not in response.content.decode()


def test_unknown_query_parameters_are_ignored(client):
    assert client.get("/", {"page": "abc", "utm_source": "\x00"}).status_code == 200
    assert (
        client.get("/trainings/module-1/", {"session": "99999999999999999999"}).status_code == 200
    )


def test_session_ics_parses_with_pacific_times(client):
    session = Session.objects.get(offering__slug="module-1", starts_at__month=6)
    response = client.get(reverse("catalog:session_ics", kwargs={"pk": session.pk}))
    assert response["Content-Type"].startswith("text/calendar")
    assert 'filename="module-1-2027-06-21.ics"' in response["Content-Disposition"]
    event = next(iter(Calendar.from_ical(response.content).walk("VEVENT")))
    assert event.decoded("dtstart") == session.starts_at
    assert event.decoded("dtend") == session.ends_at
    assert str(event["dtstart"].params["TZID"]) == "America/Los_Angeles"
    assert "Module 1" in str(event["summary"])


def test_whole_calendar_ics_has_every_upcoming_session(client):
    response = client.get("/calendar.ics")
    events = list(Calendar.from_ical(response.content).walk("VEVENT"))
    assert len(events) == Session.objects.filter(status="scheduled").count() == 17
    assert len({str(event["uid"]) for event in events}) == 17


@pytest.mark.parametrize(
    "url",
    [
        "/trainings/no-such-module/",
        "/instructors/nobody/",
        "/programs/nothing/",
        "/sessions/999999.ics",
        "/no/such/page/",
    ],
)
def test_unknown_things_get_the_sites_404(client, url):
    response = client.get(url)
    assert response.status_code == 404
    assert "We couldn’t find that page" in response.content.decode()
    assert "Polaris Insight Center" in response.content.decode()


def test_tba_session_has_no_ics(client):
    session = Session.objects.get(offering__slug="residential-level-1")
    assert client.get(reverse("catalog:session_ics", kwargs={"pk": session.pk})).status_code == 404


def test_unpublished_offering_is_hidden(client):
    Offering.objects.filter(slug="module-6").update(is_published=False)
    assert client.get("/trainings/module-6/").status_code == 404
    assert "Advanced Topics in Ketamine- and Psychedelic-Assisted Therapy I" not in text(
        client.get("/")
    ).replace("Therapy II", "")


def _full(session: Session) -> None:
    session.capacity = 1
    session.save()
    EnrolmentFactory(session=session, status="confirmed")


def test_home_cards_mark_full_dates_with_a_way_onto_the_waitlist(client):
    music = Session.objects.filter(offering__slug="music-module").order_by("starts_at")
    full, free = music[0], music[1]
    _full(full)

    response = client.get("/")
    card = text_of_card(response, "music-module")

    assert f"{full.when} · Full Join waitlist for Music Module" in card
    assert f"{free.when} · Full" not in card
    assert "Sold out" not in card
    login = f"/accounts/login/?next=/trainings/music-module/%23session-{full.pk}"
    assert login in response.content.decode()


def test_a_card_whose_every_date_is_full_says_sold_out(client):
    for session in Session.objects.filter(offering__slug="module-7"):
        _full(session)

    title = Offering.objects.get(slug="module-7").title
    assert f"{title} Sold out" in text_of_card(client.get("/"), "module-7")


def test_a_signed_in_trainee_joins_the_waitlist_from_the_home_card(client, django_user_model):

    trainee = UserFactory()
    client.force_login(trainee)
    module_2 = Session.objects.filter(offering__slug="module-2").order_by("starts_at")[0]
    _full(module_2)
    html = client.get("/").content.decode()
    action = f'action="/sessions/{module_2.pk}/waitlist/"'
    assert action in html

    response = client.post(f"/sessions/{module_2.pk}/waitlist/", follow=True)

    assert "You are on the waitlist for" in text(response)
    assert trainee.waitlist_entries.get().session == module_2


def text_of_card(response, slug: str) -> str:
    html = response.content.decode()
    start = html.index(f'aria-labelledby="offering-{slug}"')
    return text_from(html[start : html.index("</article>", start)])


def text_from(html: str) -> str:
    html = re.sub(r"<[^>]+>", " ", html.split(">", 1)[1])
    return re.sub(r"\s+", " ", html.replace("&amp;", "&")).strip()
