"""The admin's change lists filter, search and sort only on what each role is shown: a
lookup on anything else, or a malformed one, is refused as Django refuses an invalid lookup
(the unfiltered list, at `?e=1`), never filtered on and never a 500.

Every registered admin is walked as every staff role: for each field the role is not shown,
the same lookups are tried while the field holds two different values, and the pages must
be the same."""

import json
import re
from datetime import date, datetime, timedelta
from decimal import Decimal

import pytest
from django.contrib import admin
from django.contrib.admin.utils import flatten
from django.contrib.auth.models import Group
from django.db import IntegrityError, models, transaction
from django.db.models.fields.files import FieldFile
from django.test import RequestFactory
from django.urls import reverse
from django.utils import timezone

from catalog.models import Offering
from certificates.models import Evaluation
from registration.admin.gated import IntakeAdmin
from registration.models import (
    Inquiry,
    InquiryRecipient,
    InquiryTopic,
    Intake,
    InterestNotification,
    Refund,
    RosterMessage,
)
from registration.services.accounts import account_close
from registration.services.intake import intake_review
from registration.services.waivers import waiver_grant
from tests.factories import TraineeFactory, login_staff
from tests.security.world import World

NOTE = "History of manic episodes; cleared after a talk with her psychiatrist."
ROLES = ("coordinator", "reviewer", "superuser")
NOTHING = object()
REGISTERED = sorted(admin.site._registry, key=lambda model: model._meta.label)


def changelist_url(model) -> str:
    return reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_changelist")


def listed(response) -> tuple:
    """What a change list tells its reader: its status, where it redirects, the rows shown
    in their order, and how many it counted."""
    context = response.context or {}
    if response.status_code == 200 and "cl" in context:
        cl = context["cl"]
        return 200, None, tuple(obj.pk for obj in cl.result_list), cl.result_count
    return response.status_code, response.get("Location")


@pytest.fixture
def reviewed(world: World) -> Intake:
    """The owner's intake, declined by the clinical reviewer with a confidential note."""
    return intake_review(
        intake=world.intake, decision="declined", note=NOTE, by=world.reviewer, now=timezone.now()
    )


# -- the report ---------------------------------------------------------------------


def test_a_coordinator_cannot_find_words_of_the_review_note_by_filtering(client, world, reviewed):
    login_staff(client, world.coordinator)
    url = changelist_url(Intake)

    matching = client.get(url, {"id__exact": reviewed.pk, "review_note__icontains": "manic"})
    other = client.get(url, {"id__exact": reviewed.pk, "review_note__icontains": "zzzz"})
    prefix = client.get(url, {"id__exact": reviewed.pk, "review_note__regex": "^History"})

    assert listed(matching) == listed(other) == listed(prefix)
    assert matching.status_code == 302 and matching["Location"] == f"{url}?e=1"
    assert NOTE not in client.get(matching["Location"]).content.decode()


def test_the_answers_and_the_note_cannot_be_reached_through_a_relation(client, world, reviewed):
    login_staff(client, world.superuser)
    intakes, users = changelist_url(Intake), changelist_url(type(world.owner))

    for url, lookup, hit, miss in (
        (intakes, "answers__answer__icontains", "None", "zzzz"),
        (intakes, "trainee__intakes__review_note__icontains", "manic", "zzzz"),
        (users, "intakes__review_note__icontains", "manic", "zzzz"),
        (users, "password__startswith", world.owner.password[:6], "zzzz"),
    ):
        assert listed(client.get(url, {lookup: hit})) == listed(client.get(url, {lookup: miss}))
        assert client.get(url, {lookup: hit})["Location"] == f"{url}?e=1"


def test_the_filters_the_page_offers_still_filter(client, world, reviewed):
    login_staff(client, world.coordinator)
    url = changelist_url(Intake)

    declined = client.get(url, {"status__exact": "declined"})
    approved = client.get(url, {"status__exact": "approved"})
    searched = client.get(url, {"q": world.owner.email})

    assert listed(declined)[:3] == (200, None, (reviewed.pk,))
    assert listed(approved)[:3] == (200, None, ())
    assert listed(searched)[:3] == (200, None, (reviewed.pk,))
    sessions = client.get(
        changelist_url(world.open_session), {"starts_at__year": "2027", "starts_at__month": "10"}
    )
    assert sessions.status_code == 200
    assert world.open_session.pk in listed(sessions)[2]


def test_sorting_takes_only_the_sortable_columns(rf, world, reviewed):
    """`?o=` names a column by its position: a column left out of `sortable_by` sorts
    nothing here, where Django itself would sort by it."""
    later = Intake.objects.create(
        trainee=TraineeFactory(legal_name="Lena Later", verified_email=True),
        submitted_at=reviewed.submitted_at + timedelta(days=1),
    )
    Intake.objects.filter(pk=reviewed.pk).update(status="withdrawn")  # after "submitted"
    registered = type(admin.site._registry[Intake])
    assert issubclass(registered, IntakeAdmin)
    only_trainee = {"sortable_by": ("trainee",)}
    ours = type("IntakeAdmin", (registered,), only_trainee)(Intake, admin.site)
    djangos = type("IntakeAdmin", (IntakeAdmin,), only_trainee)(Intake, admin.site)
    trainee = str(IntakeAdmin.list_display.index("trainee"))
    status = str(IntakeAdmin.list_display.index("status"))

    def rows(model_admin, order: str) -> tuple:
        request = rf.get("/", {"o": order})
        request.user = world.superuser
        return tuple(obj.pk for obj in model_admin.get_changelist_instance(request).result_list)

    newest_first, oldest_first = (later.pk, reviewed.pk), (reviewed.pk, later.pk)
    assert rows(djangos, f"-{status}") == oldest_first
    assert rows(ours, "") == rows(ours, status) == rows(ours, f"-{status}") == newest_first
    assert rows(ours, trainee) == oldest_first


# -- every admin, as every staff role -------------------------------------------------------


@pytest.fixture
def everything(world: World, reviewed, client, catalog) -> World:
    """At least one row for every admin; the last row of users and groups is a spare one,
    so that changing it changes nobody's access."""
    now = timezone.now()
    login_staff(client, world.reviewer)
    assert client.get(reverse("registration:intake_review", args=[reviewed.pk])).status_code == 200
    client.logout()
    account_close(user=TraineeFactory(legal_name="Cora Closed", verified_email=True), now=now)
    InquiryRecipient.objects.create(topic=InquiryTopic.KAP_GROUP, email="groups@example.com")
    Inquiry.objects.create(
        topic=InquiryTopic.KAP_GROUP,
        name="Vera Visitor",
        email="vera@example.com",
        message="When does the next group start?",
        created_at=now,
    )
    waiver_grant(
        trainee=world.other,
        offering=Offering.objects.get(slug="module-1"),
        reason="Took the equivalent course elsewhere.",
        by=world.coordinator,
    )
    Evaluation.objects.create(enrolment=world.past_enrolment, requested_at=now)
    Refund.objects.create(
        order=world.order, amount_cents=2500, status=Refund.Status.DUE, reason="Goodwill."
    )
    RosterMessage.objects.create(
        session=world.past_enrolment.session,
        subject="Parking",
        message="Park behind the building.",
        sent_by=world.coordinator,
        token="spare-roster-message",
    )
    InterestNotification.objects.create(
        signup=world.interest, session=world.past_enrolment.session, sent_at=now
    )
    Group.objects.create(name="Volunteers")
    TraineeFactory(legal_name="Sam Spare", verified_email=True)
    return world


def _staff_request(user):
    request = RequestFactory().get("/")
    request.user = user
    return request


def shown_fields(model_admin, request, obj) -> set[str]:
    """The fields the admin shows this user: its fieldsets for the object, its columns."""
    if not model_admin.has_view_or_change_permission(request, obj):
        return set()
    names = set(model_admin.get_list_display(request))
    for _name, options in model_admin.get_fieldsets(request, obj):
        names.update(flatten(options["fields"]))
    return names - set(model_admin.get_exclude(request, obj) or ())


def hidden_fields(model_admin, request, obj) -> list:
    shown = shown_fields(model_admin, request, obj)
    return [
        field
        for field in model_admin.model._meta.get_fields()
        if (field.concrete or field.many_to_many)
        and not field.auto_created
        and not field.primary_key
        and field.name not in shown
    ]


def _stored(row, field):
    if field.many_to_many:
        return getattr(row, field.name).values_list("pk", flat=True).first()
    value = getattr(row, field.attname)
    return value.name if isinstance(value, FieldFile) else value


def _as_text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, dict | list):
        return json.dumps(value)
    return str(value)


def lookups(field) -> list[str]:
    """The lookups tried on a hidden field: each would find the row by its value."""
    name = field.name
    tried = [name, f"{name}__in", f"{name}__isnull"]
    if field.is_relation:
        tried.append(f"{name}__pk")
    elif isinstance(field, models.CharField | models.TextField | models.FileField):
        tried += [f"{name}__icontains", f"{name}__regex", "q"]
    elif not isinstance(field, models.BooleanField | models.JSONField):
        tried.append(f"{name}__gte")
    return tried


def lookup_value(lookup: str, value) -> str:
    """What the URL says to find a row whose field holds `value`."""
    if lookup.endswith("__isnull"):
        return "1" if value is None else "0"
    text = _as_text(value)
    if lookup.endswith("__regex"):
        return "^" + re.escape(text[:40])
    if lookup.endswith("__icontains") or lookup == "q":
        return text[:40]
    return text


def other_values(field, value, row) -> list:
    """Values to store instead of `value`, most likely first (a constraint may refuse one)."""
    if field.many_to_many:
        related = field.related_model.objects.exclude(pk=value).values_list("pk", flat=True)
        return [[]] if value is not None else [[pk] for pk in related[:3]]
    if field.is_relation:
        related = field.related_model.objects.exclude(pk=value).order_by("-pk")
        return ([None] if field.null and value is not None else []) + list(
            related.values_list("pk", flat=True)[:5]
        )
    if field.choices:
        return [choice for choice, _label in field.flatchoices if choice not in (value, "")]
    if isinstance(field, models.BooleanField):
        return [not value]
    if isinstance(field, models.DateTimeField):
        moment = value or timezone.now()
        return [moment + timedelta(days=3), moment - timedelta(days=3)]
    if isinstance(field, models.DateField):
        return [(value or date(2027, 1, 1)) + timedelta(days=3)]
    if isinstance(field, models.DecimalField):
        return [(value or Decimal(0)) + 1]
    if isinstance(field, models.IntegerField):
        return [(value or 0) + 1, 0]
    if isinstance(field, models.JSONField):
        return [["another"], {}]
    if isinstance(field, models.EmailField):
        return ["another@example.com"]
    if isinstance(field, models.URLField):
        return ["https://another.example/"]
    if isinstance(field, models.FileField):
        return ["another/file.pdf"]
    if isinstance(field, models.CharField | models.TextField):
        other = f"another value {row.pk}"
        return [other[: field.max_length] if field.max_length else other, "z"]
    raise AssertionError(f"no other value to try for {field!r}")


def store(row, field, value) -> bool:
    """Store `value` in the row's field; False if a constraint refuses it."""
    try:
        with transaction.atomic():
            if field.many_to_many:
                getattr(row, field.name).set(value)
            else:
                type(row)._base_manager.filter(pk=row.pk).update(**{field.attname: value})
    except IntegrityError:
        return False
    return True


def base_query(model_admin, row) -> dict:
    """The parameters that pick the row's page (the roster's session)."""
    query = {}
    for lookup in getattr(model_admin, "allowed_lookups", ()):
        path = lookup.removesuffix("__exact")
        query[lookup] = str(
            type(row)._base_manager.filter(pk=row.pk).values_list(path, flat=True).get()
        )
    return query


def pages_for(client, url, base, field, value) -> list:
    return [
        listed(client.get(url, base | {lookup: lookup_value(lookup, value)}))
        for lookup in lookups(field)
    ]


@pytest.mark.parametrize("model", REGISTERED, ids=lambda model: model._meta.label)
@pytest.mark.parametrize("role", ROLES)
def test_no_lookup_depends_on_a_field_the_role_is_not_shown(client, everything, model, role):
    """For each field the role is not shown, the lookups that would find the row by that
    field's value give the same pages whatever the field holds. Where the database refuses
    every other value for that row (a constraint ties the field to another one), the other
    value is put in the lookup instead: the row does not hold it, so the pages must match too."""
    user = getattr(everything, role)
    model_admin = admin.site._registry[model]
    row = model_admin.get_queryset(_staff_request(everything.superuser)).order_by("-pk").first()
    assert row is not None, f"nothing to try on {model._meta.label}"
    request = _staff_request(user)
    url, base = changelist_url(model), base_query(model_admin, row)
    login_staff(client, user)
    if model_admin.has_view_or_change_permission(request, row):
        assert row.pk in listed(client.get(url, base))[2]

    for field in hidden_fields(model_admin, request, row):
        value = _stored(row, field)
        original = list(getattr(row, field.name).all()) if field.many_to_many else value
        holding_it = pages_for(client, url, base, field, value)
        others = other_values(field, value, row)
        assert others, f"{model._meta.label}.{field.name}: no other value to try"
        stored = next((other for other in others if store(row, field, other)), NOTHING)
        if stored is NOTHING:
            another = (others[0] or [None])[0] if field.many_to_many else others[0]
            holding_another = pages_for(client, url, base, field, another)
        else:
            holding_another = pages_for(client, url, base, field, value)
            store(row, field, original)
        assert holding_it == holding_another, (
            f"{role} tells {model._meta.label}.{field.name} = {value!r} from {stored!r} "
            f"with {lookups(field)}"
        )


# -- malformed lookups, anywhere ------------------------------------------------------------

# A regex that does not compile, a number past any column's range, a digit int() refuses, a
# negative id, a date that does not exist, nothing.
JUNK = ("[", "9" * 25, "²", "-1", "2027-13-45", "")


def offered_parameters(html: str) -> set[str]:
    """The query parameters of the links a change list page offers (filters, dates)."""
    names = set()
    for query in re.findall(r'href="\?([^"]*)"', html):
        for pair in query.replace("&amp;", "&").split("&"):
            names.add(pair.split("=", 1)[0])
    return names - {"o", "p", "q", "e", "all", "_facets", "_popup", "_to_field", ""}


@pytest.mark.parametrize("model", REGISTERED, ids=lambda model: model._meta.label)
def test_malformed_lookups_never_cause_a_server_error(client, everything, model):
    model_admin = admin.site._registry[model]
    row = model_admin.get_queryset(_staff_request(everything.superuser)).order_by("-pk").first()
    url, base = changelist_url(model), base_query(model_admin, row)
    login_staff(client, everything.superuser)
    page = client.get(url, base | {"_facets": "1"})
    assert page.status_code == 200

    parameters = offered_parameters(page.content.decode()) | set(base)
    if model_admin.date_hierarchy:
        parameters |= {f"{model_admin.date_hierarchy}__{step}" for step in ("year", "month", "day")}
    queries = [base | {name: junk} for name in sorted(parameters) for junk in JUNK]
    for field in model._meta.concrete_fields:
        queries.append(base | {f"{field.name}__regex": "["})
        if isinstance(field, models.DateField):
            queries.append(base | {f"{field.name}__year": "9" * 25})
    queries += [base | {"o": junk} for junk in (*JUNK, "1.-2.x", "0." * 50)]
    queries += [base | {"p": junk} for junk in JUNK] + [base | {"q": junk} for junk in JUNK]
    if model_admin.date_hierarchy:
        queries.append(
            base
            | {f"{model_admin.date_hierarchy}__year": "9999", "_facets": "1"}
            | {f"{model_admin.date_hierarchy}__month": "12"}
        )

    for query in queries:
        response = client.get(url, query)
        assert response.status_code in (200, 302, 400), f"{query} answered {response.status_code}"
        if response.status_code == 302:
            assert response["Location"] == f"{url}?e=1", query
    assert client.get(f"{url}?e=1").status_code == 200
