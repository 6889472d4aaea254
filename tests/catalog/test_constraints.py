"""The database itself refuses rows that break the catalog's rules, whoever writes them."""

from datetime import timedelta

import pytest
from django.db import IntegrityError, transaction

from catalog.models import Bundle, Offering, OfferingCredit, Session
from tests.factories import OfferingFactory, SessionFactory

pytestmark = pytest.mark.usefixtures("catalog")


def test_session_must_end_after_it_starts():
    session = SessionFactory()
    with pytest.raises(IntegrityError), transaction.atomic():
        Session.objects.filter(pk=session.pk).update(ends_at=session.starts_at - timedelta(hours=1))


def test_dated_session_needs_both_ends_unless_tba():
    session = SessionFactory()
    with pytest.raises(IntegrityError), transaction.atomic():
        Session.objects.filter(pk=session.pk).update(ends_at=None)
    Session.objects.filter(pk=session.pk).update(starts_at=None, ends_at=None, status="tba")


@pytest.mark.parametrize(
    ("model", "field"),
    [
        (Offering, "tuition_cents"),
        (Offering, "admin_fee_cents"),
        (OfferingCredit, "fee_cents"),
        (Bundle, "tuition_cents"),
        (Bundle, "admin_fee_cents"),
    ],
)
def test_prices_cannot_be_negative(model, field):
    row = model.objects.first()
    with pytest.raises(IntegrityError), transaction.atomic():
        model.objects.filter(pk=row.pk).update(**{field: -1})


def test_slugs_are_unique():
    with pytest.raises(IntegrityError), transaction.atomic():
        OfferingFactory(slug="module-1")


def test_module_numbers_are_unique_per_kind():
    with pytest.raises(IntegrityError), transaction.atomic():
        OfferingFactory(kind="module", number=1)
    OfferingFactory(kind="residential", number=3)
