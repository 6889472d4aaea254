"""The customer's catalog (fixtures/catalog.toml) as loaded: everything the seed text says."""

from datetime import timedelta
from decimal import Decimal
from io import StringIO
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from django.apps import apps
from django.conf import settings
from django.core.management import call_command

from catalog.models import (
    Bundle,
    CreditType,
    Instructor,
    LearningObjective,
    Offering,
    OfferingCredit,
    Session,
    SiteSettings,
)
from catalog.services import CatalogDataError, catalog_load, catalog_load_file

pytestmark = pytest.mark.django_db

CATALOG_PATH = Path(settings.BASE_DIR) / "fixtures" / "catalog.toml"
PACIFIC = ZoneInfo("America/Los_Angeles")
MODULES = [f"module-{n}" for n in range(1, 8)]

# slug: (tuition, administrative fee, total) in cents, training hours
PRICES = {
    "module-1": (32500, 2500, 35000, Decimal("8")),
    "module-2": (32500, 2500, 35000, Decimal("8")),
    "module-3": (32500, 2500, 35000, Decimal("8")),
    "module-4": (32500, 2500, 35000, Decimal("8")),
    "module-5": (27500, 2500, 30000, Decimal("8")),
    "module-6": (32500, 2500, 35000, Decimal("8")),
    "module-7": (32500, 2500, 35000, Decimal("8")),
    "music-module": (20000, 0, 20000, Decimal("4")),
    "rainfall-medical-module": (30000, 0, 30000, Decimal("4")),
    "experiential-workshop": (65000, 0, 65000, Decimal("5")),
    "practicum": (None, 0, None, None),
    "residential-level-1": (None, 0, None, None),
    "residential-level-2": (None, 0, None, None),
}

TITLES = {
    "module-1": "Introductory Workshop on Ketamine-Assisted Psychotherapy",
    "module-2": "Intermediate Workshop on Focused Clinical Issues",
    "module-3": "Advanced Workshop on Focused Clinical Issues I",
    "module-4": "Advanced Workshop on Focused Clinical Issues II",
    "module-5": "Role Play Module: Training and Practice of KAP Principles and Techniques",
    "module-6": "Advanced Topics in Ketamine- and Psychedelic-Assisted Therapy I",
    "module-7": "Advanced Topics in Ketamine- and Psychedelic-Assisted Therapy II",
    "music-module": "Music Module",
    "rainfall-medical-module": "Rainfall Medical Module",
    "residential-level-1": (
        "Five-day/four-night residential training in Ketamine Assisted Psychotherapy theory "
        "and practice"
    ),
    "residential-level-2": (
        "Four-day/three-night residential training on Advanced Training in Ketamine Assisted "
        "Psychotherapy practice"
    ),
}


def _day(month_day: str, start: str, end: str) -> tuple[str, str]:
    return f"2027-{month_day} {start}", f"2027-{month_day} {end}"


def _module_day(month_day: str) -> tuple[str, str]:
    return _day(month_day, "09:00", "17:00")


# The seed's dates, in Pacific local time (its "9am PST to 5pm PST").
SESSION_TIMES = {
    "module-1": [_module_day("06-21"), _module_day("10-18")],
    "module-2": [_module_day("07-31")],
    "module-3": [_module_day("05-08"), _module_day("08-12")],
    "module-4": [_module_day("06-05"), _module_day("10-15")],
    "module-5": [_module_day("05-17"), _module_day("06-06"), _module_day("09-11")],
    "module-6": [_module_day("07-24"), _module_day("12-04")],
    "module-7": [_module_day("08-20")],
    "rainfall-medical-module": [
        _day("06-14", "08:00", "12:00"),
        _day("08-21", "09:00", "13:00"),
    ],
    "music-module": [_day("07-17", "09:00", "13:00"), _day("09-25", "09:00", "13:00")],
}

CAPACITIES = {"music-module": 30, "rainfall-medical-module": 40} | dict.fromkeys(MODULES, 40)

# The seed's instructor list, one spelling per instructor.
TEACHES = {
    "Harvey Schwartz, PhD": set(MODULES),
    "Veronika Gold, LMFT": set(MODULES),
    "Eric Sienknecht, PsyD": {"module-1", "module-2", "module-3", "module-5", "music-module"},
    "Steve Rosonke, MD": {"module-1", "module-4", "module-7", "rainfall-medical-module"},
    "Marina Bystritsky, PsyD": {"module-4"},
    "Chris Stauffer, MD": {"module-3"},
    "Robert Voloshin, DO": {"module-5", "module-6"},
    "Ryan Hoffman, LMFT": {"module-5", "music-module"},
    "Frank Ehrenfried, LMFT": {"module-5"},
    "Leanne Lopez, BSN, RN": {"rainfall-medical-module"},
    "Andrea Rosati, PhD, MD": {"module-6"},
    "Kelley O’Donnell, PhD, MD": {"module-6"},
    "Evan Sola, PsyD": {"module-6"},
    "Karen Peoples, PhD": {"module-7"},
    "Genesee Herzberg, PsyD": {"module-7"},
    "Jason Butler, PhD": {"module-7"},
    "Jessica Katzman, PsyD": {"module-7"},
}

OBJECTIVE_COUNTS = {
    "module-1": 8,
    "module-2": 7,
    "module-3": 6,
    "module-4": 6,
    "module-5": 3,
    "module-6": 6,
    "module-7": 6,
    "rainfall-medical-module": 8,
}

TBA_CAPACITIES = {
    "experiential-workshop": 8,
    "practicum": 4,
    "residential-level-1": 20,
    "residential-level-2": 20,
}


@pytest.fixture
def loaded():
    return catalog_load_file(path=CATALOG_PATH)


@pytest.fixture
def empty_catalog():
    """No catalog rows at all, whatever the session's database setup loaded."""
    Bundle.objects.all().delete()
    Session.objects.all().delete()
    Offering.objects.all().delete()
    for model in (Instructor, CreditType, SiteSettings):
        model.objects.all().delete()


def _local(moment) -> str:
    return moment.astimezone(PACIFIC).strftime("%Y-%m-%d %H:%M")


def _row_counts() -> dict[str, int]:
    counts = {
        model.__name__: model.objects.count()
        for model in apps.get_app_config("catalog").get_models()
    }
    for model in (Offering, Bundle):
        for m2m in model._meta.many_to_many:
            counts[f"{model.__name__}.{m2m.name}"] = m2m.remote_field.through.objects.count()
    return counts


def test_catalog_has_the_seeds_thirteen_offerings(loaded):
    assert set(Offering.objects.values_list("slug", flat=True)) == set(PRICES)
    assert list(Offering.objects.values_list("slug", flat=True)) == [
        *MODULES,
        "music-module",
        "rainfall-medical-module",
        "experiential-workshop",
        "practicum",
        "residential-level-1",
        "residential-level-2",
    ]


@pytest.mark.parametrize("slug", PRICES)
def test_offering_price_and_hours_match_the_seed(loaded, slug):
    tuition, fee, total, hours = PRICES[slug]
    offering = Offering.objects.get(slug=slug)
    assert offering.tuition_cents == tuition
    assert offering.admin_fee_cents == fee
    assert offering.total_cents == total
    assert offering.hours == hours


def test_modules_have_one_title_each_and_numbers_one_to_seven(loaded):
    for slug, title in TITLES.items():
        assert Offering.objects.get(slug=slug).title == title
    modules = Offering.objects.filter(kind=Offering.Kind.MODULE).order_by("number")
    assert [(m.slug, m.number) for m in modules] == [(f"module-{n}", n) for n in range(1, 8)]
    levels = Offering.objects.filter(kind=Offering.Kind.RESIDENTIAL).order_by("number")
    assert [(r.slug, r.number) for r in levels] == [
        ("residential-level-1", 1),
        ("residential-level-2", 2),
    ]
    assert [m.level for m in modules] == ["Introductory", "Intermediate", *["Advanced"] * 5]


def test_every_dated_session_is_on_the_seeds_day_and_time_in_pacific_time(loaded):
    for slug, expected in SESSION_TIMES.items():
        sessions = Session.objects.filter(offering__slug=slug).order_by("starts_at")
        assert [(_local(s.starts_at), _local(s.ends_at)) for s in sessions] == expected, slug
        for session in sessions:
            assert session.status == Session.Status.SCHEDULED
            assert session.capacity == CAPACITIES[slug]
            assert session.location == "Online (Zoom)"
    assert Session.objects.filter(status=Session.Status.SCHEDULED).count() == 17


def test_session_shows_weekday_computed_from_the_date(loaded):
    session = Session.objects.get(offering__slug="module-1", starts_at__month=6)
    assert session.when == "Mon, Jun 21, 2027 · 9:00 AM – 5:00 PM PT"
    rainfall = Session.objects.filter(offering__slug="rainfall-medical-module").first()
    assert rainfall.when == "Mon, Jun 14, 2027 · 8:00 AM – 12:00 PM PT"


def test_experiential_practicum_and_residentials_have_one_session_to_be_announced(loaded):
    for slug, capacity in TBA_CAPACITIES.items():
        sessions = list(Session.objects.filter(offering__slug=slug))
        assert len(sessions) == 1, slug
        (session,) = sessions
        assert session.status == Session.Status.TBA
        assert session.starts_at is None and session.ends_at is None
        assert session.capacity == capacity
        assert session.when == "Dates to be announced"


def test_access_rules_and_prerequisites(loaded):
    access = dict(Offering.objects.values_list("slug", "access_rule"))
    assert access["experiential-workshop"] == Offering.Access.INTAKE
    assert access["practicum"] == Offering.Access.INVITATION
    assert access["residential-level-1"] == Offering.Access.ANNOUNCE
    assert access["residential-level-2"] == Offering.Access.ANNOUNCE
    assert all(access[slug] == Offering.Access.OPEN for slug in [*MODULES, "music-module"])
    assert access["rainfall-medical-module"] == Offering.Access.OPEN
    for offering in Offering.objects.all():
        expected = ["module-1"] if offering.slug in MODULES[1:] else []
        assert [p.slug for p in offering.prerequisites.all()] == expected, offering.slug


def test_rainfall_is_for_medical_providers_only(loaded):
    rainfall = Offering.objects.get(slug="rainfall-medical-module")
    assert rainfall.eligible_professions == ["md", "do", "np", "pa", "rn"]
    others = Offering.objects.exclude(slug="rainfall-medical-module")
    assert all(offering.eligible_professions == [] for offering in others)


def test_delivery(loaded):
    delivery = dict(Offering.objects.values_list("slug", "delivery"))
    zoom = {*MODULES, "music-module", "rainfall-medical-module"}
    assert {slug for slug, value in delivery.items() if value == Offering.Delivery.ZOOM} == zoom
    assert all(delivery[slug] == Offering.Delivery.IN_PERSON for slug in TBA_CAPACITIES)


def test_seventeen_instructors_one_spelling_each_teach_the_seeds_modules(loaded):
    instructors = list(Instructor.objects.all())
    assert [i.display_name for i in instructors] == list(TEACHES)
    assert not Instructor.objects.filter(name__icontains="Roesenke").exists()
    for instructor in instructors:
        taught = set(instructor.offerings.values_list("slug", flat=True))
        assert taught == TEACHES[instructor.display_name], instructor.display_name


def test_rainfall_instructors_have_the_seeds_bios(loaded):
    rosonke = Instructor.objects.get(slug="steve-rosonke")
    assert rosonke.bio.startswith("Steve Rosonke MD is an ER physician")
    assert "founded Rainfall Medicine" in rosonke.bio
    lopez = Instructor.objects.get(slug="leanne-lopez")
    assert "nursing for 12 years" in lopez.bio


def test_objective_counts_and_order(loaded):
    for offering in Offering.objects.all():
        assert offering.objectives.count() == OBJECTIVE_COUNTS.get(offering.slug, 0), offering.slug
    module_1 = [o.text for o in Offering.objects.get(slug="module-1").objectives.all()]
    assert module_1[0] == "Understand difference between traditional psychotherapy and KAP"
    assert module_1[-1] == "Understand political and clinical controversies in the field"
    texts = LearningObjective.objects.values_list("text", flat=True)
    assert not any("AssistedTherapy" in t or "therapists’s" in t for t in texts)
    assert all(text[0].isupper() for text in texts)


def test_ce_credits_and_fees(loaded):
    for slug in MODULES:
        credits = {
            c.credit_type.code: (c.credits, c.fee_cents)
            for c in OfferingCredit.objects.filter(offering__slug=slug)
        }
        assert credits == {"apa": (Decimal("8"), 7900), "brn": (Decimal("8"), 7900)}, slug
    music = {
        c.credit_type.code: (c.credits, c.fee_cents)
        for c in OfferingCredit.objects.filter(offering__slug="music-module")
    }
    assert music == {"apa": (Decimal("4"), 3900), "brn": (Decimal("4"), 3900)}
    without_ce = set(PRICES) - {*MODULES, "music-module"}
    assert not OfferingCredit.objects.filter(offering__slug__in=without_ce).exists()
    notes = dict(Offering.objects.values_list("slug", "no_credit_note"))
    assert notes["rainfall-medical-module"] == "CEs are not offered at this time."
    assert "no CE credit" in notes["experiential-workshop"]


def test_credit_types_carry_the_sponsor_statements(loaded):
    apa, brn = CreditType.objects.all()
    assert apa.code == "apa" and apa.name == "APA CE" and apa.unit == "CE credits"
    assert apa.statement == (
        "Polaris Insight Center is approved by the American Psychological Association to "
        "sponsor continuing education for psychologists. Polaris Insight Center maintains "
        "responsibility for this program and its content."
    )
    assert apa.professions == ["psychologist", "lmft", "lcsw", "lpcc", "lep"]
    assert apa.notice_professions == ["lmft", "lcsw", "lpcc", "lep"]
    assert apa.board_state == "CA"
    assert "California Board of Behavioral Sciences" in apa.board_note
    assert apa.out_of_state_notice == (
        "LCSWs and MFTs from states other than California need to check with their state "
        "licensing board for approval."
    )
    assert brn.code == "brn" and brn.unit == "contact hours"
    assert brn.provider_name == "Spiritual Competency Resource Center"
    assert brn.provider_number == "CEP16887"
    assert brn.statement.startswith("The Spiritual Competency Resource Center maintains")
    assert brn.statement.endswith("(BRN Provider CEP16887) for licensed nurses in California.")
    assert brn.professions == ["rn"] and brn.notice_professions == ["rn"]
    assert brn.out_of_state_notice
    assert not apa.expired and not brn.expired


def test_credit_types_declare_what_their_certificates_carry_and_how_they_look(loaded):
    apa, brn = CreditType.objects.all()
    assert apa.certificate_layout == "sponsor"
    assert set(apa.certificate_items) == {
        "provider_name",
        "statement",
        "licensee_name",
        "license_type",
        "license_number",
        "course_title",
        "date",
        "credits",
    }
    assert brn.certificate_layout == "provider"
    assert brn.retention_statement == (
        "This document must be retained by the licensee for a period of four years after the "
        "course concludes."
    )
    # The seed gives no address for SCRC: it stays empty until staff enter it.
    assert brn.provider_address == ""
    assert "provider_address" in brn.certificate_items


def test_loading_again_keeps_the_provider_address_staff_entered(loaded):
    brn = CreditType.objects.get(code="brn")
    brn.provider_address = "2201 Broadway, Oakland, CA 94612"
    brn.save()

    catalog_load_file(path=CATALOG_PATH, update=True)

    brn.refresh_from_db()
    assert brn.provider_address == "2201 Broadway, Oakland, CA 94612"


def test_an_unknown_certificate_item_is_refused(loaded):
    data = {"credit_types": [{"code": "apa", "certificate_items": ["provider_name", "logo"]}]}

    with pytest.raises(CatalogDataError, match="unknown certificate items: logo"):
        catalog_load(data=data)


def test_full_training_bundle_costs_2550_for_the_seven_modules(loaded):
    bundle = Bundle.objects.get(slug="full-training")
    assert bundle.title == "Full KAP Training: Modules 1–7"
    assert (bundle.tuition_cents, bundle.admin_fee_cents) == (240000, 15000)
    assert bundle.total_cents == 255000
    assert bundle.hours == Decimal("56")
    assert sorted(bundle.offerings.values_list("slug", flat=True)) == MODULES
    assert "one session of each module" in bundle.summary


def test_site_settings_from_the_seed(loaded):
    assert SiteSettings.objects.count() == 1
    site = SiteSettings.current()
    assert site.center_name == "Polaris Insight Center"
    assert site.coordinator_name == "Jana Adamova"
    assert site.nurse_ce_contact == "David Lukoff, PhD"
    assert (site.coordinator_email, site.nurse_ce_contact_email) == ("", "")
    assert (
        site.refund_deadline_days,
        site.checkout_hold_minutes,
        site.offline_hold_days,
        site.waitlist_offer_hours,
    ) == (14, 30, 7, 48)


def test_loading_twice_changes_nothing(empty_catalog):
    first = catalog_load_file(path=CATALOG_PATH)
    assert first.created["offerings"] == 13 and first.created["sessions"] == 21
    before = _row_counts()
    assert before["Offering"] == 13 and before["Session"] == 21 and before["Instructor"] == 17
    again = catalog_load_file(path=CATALOG_PATH)
    assert not again.changed
    assert _row_counts() == before


def test_reload_restores_the_data_and_keeps_sessions_staff_added(loaded):
    module_2 = Offering.objects.get(slug="module-2")
    module_2.title = "Edited"
    module_2.save()
    module_2.objectives.create(position=99, text="An extra objective")
    module_2.instructors.add(Instructor.objects.get(slug="karen-peoples"))
    module_2.prerequisites.clear()
    module_2.credits.filter(credit_type__code="brn").update(fee_cents=1)
    first = module_2.sessions.get()
    extra = Session.objects.create(
        offering=module_2,
        starts_at=first.starts_at + timedelta(days=30),
        ends_at=first.ends_at + timedelta(days=30),
        capacity=10,
    )

    report = catalog_load_file(path=CATALOG_PATH)

    module_2.refresh_from_db()
    assert report.changed
    assert module_2.title == TITLES["module-2"]
    assert module_2.objectives.count() == 7
    assert not module_2.instructors.filter(slug="karen-peoples").exists()
    assert [p.slug for p in module_2.prerequisites.all()] == ["module-1"]
    assert module_2.credits.get(credit_type__code="brn").fee_cents == 7900
    assert set(module_2.sessions.all()) == {first, extra}


def test_load_catalog_command_prints_a_one_line_summary(empty_catalog):
    out = StringIO()
    call_command("load_catalog", stdout=out)
    assert out.getvalue().count("\n") == 1
    assert "13 offerings" in out.getvalue() and "21 sessions" in out.getvalue()
    out = StringIO()
    call_command("load_catalog", path=CATALOG_PATH, stdout=out)
    assert "0 created, 0 updated, 0 removed" in out.getvalue()


def test_unknown_instructor_is_refused_and_nothing_is_written(empty_catalog):
    data = {
        "offerings": [
            {
                "slug": "module-9",
                "kind": "module",
                "number": 9,
                "title": "Not in the seed",
                "summary": "Nothing.",
                "delivery": "zoom",
                "instructors": ["nobody"],
            }
        ]
    }
    with pytest.raises(CatalogDataError, match="nobody"):
        catalog_load(data=data)
    assert not Offering.objects.exists()


def test_command_keeps_staff_edits_unless_asked_to_update(loaded):
    module_3 = Offering.objects.get(slug="module-3")
    module_3.title = "Edited by the coordinator"
    module_3.save()
    module_3.instructors.clear()
    Session.objects.filter(offering=module_3).first().delete()

    call_command("load_catalog", stdout=StringIO())

    module_3.refresh_from_db()
    assert module_3.title == "Edited by the coordinator"
    assert not module_3.instructors.exists()
    assert module_3.sessions.count() == 2, "the missing session is created again"

    call_command("load_catalog", "--update", stdout=StringIO())
    module_3.refresh_from_db()
    assert module_3.title == TITLES["module-3"]
    assert module_3.instructors.exists()
