"""Catalog operations that change state: loading the customer's catalog (fixtures/catalog.toml).

The load is an idempotent upsert by natural key: a second run with the same data changes nothing.
"""

import tomllib
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from pathlib import Path
from typing import Any, TypeVar
from zoneinfo import ZoneInfo

from django.core.exceptions import FieldDoesNotExist, ValidationError
from django.db import models, transaction

from .certificate_items import CertificateItem
from .models import (
    Bundle,
    CreditType,
    Instructor,
    LearningObjective,
    Offering,
    OfferingCredit,
    Session,
    SiteSettings,
)
from .professions import Profession

PACIFIC = ZoneInfo("America/Los_Angeles")

M = TypeVar("M", bound=models.Model)

SECTIONS = frozenset({"site", "credit_types", "instructors", "offerings", "bundles"})
OFFERING_RELATIONS = frozenset(
    {"prerequisites", "instructors", "objectives", "credits", "sessions"}
)
BUNDLE_RELATIONS = frozenset({"offerings"})
SESSION_FIELDS = frozenset(
    {
        "starts_at",
        "ends_at",
        "capacity",
        "location",
        "zoom_url",
        "status",
        "registration_opens_at",
        "registration_closes_at",
    }
)
PROFESSION_CODES = frozenset(Profession.values)


class CatalogDataError(ValueError):
    """The catalog data is malformed or refers to something that does not exist."""


@dataclass
class LoadReport:
    """What a load did, counted per kind of row ("offerings", "sessions", ...)."""

    update: bool = True
    loaded: Counter[str] = field(default_factory=Counter)
    created: Counter[str] = field(default_factory=Counter)
    updated: Counter[str] = field(default_factory=Counter)
    deleted: Counter[str] = field(default_factory=Counter)

    @property
    def changed(self) -> bool:
        return any((self.created.total(), self.updated.total(), self.deleted.total()))

    def summary(self) -> str:
        described = ", ".join(
            f"{self.loaded[label]} {label if self.loaded[label] != 1 else label[:-1]}"
            for label in ("credit types", "instructors", "offerings", "sessions", "bundles")
        )
        return (
            f"Catalog loaded ({described}): {self.created.total()} created, "
            f"{self.updated.total()} updated, {self.deleted.total()} removed."
        )


def catalog_load_file(*, path: str | Path, update: bool = True) -> LoadReport:
    """Load the catalog from a TOML file (see fixtures/catalog.toml)."""
    with Path(path).open("rb") as handle:
        data = tomllib.load(handle)
    return catalog_load(data=data, update=update)


@transaction.atomic
def catalog_load(*, data: dict[str, Any], update: bool = True) -> LoadReport:
    """Upsert the catalog described by `data`, in one transaction.

    Rows are matched by natural key: slug, credit type code, (offering, position) for
    objectives, (offering, credit type) for CE options, (offering, starts_at) for dated
    sessions and (offering, status "tba") for sessions to be announced. A field absent
    from the data is left as it is. An offering's objectives, CE options, instructors
    and prerequisites become exactly what the data lists; its sessions are only added or
    updated, never deleted, since staff may have scheduled others.

    With update=False only what is missing is created: rows that exist, and the relations
    of offerings and bundles that exist, keep the edits staff made to them.
    """
    unknown = set(data) - SECTIONS
    if unknown:
        raise CatalogDataError(f"Unknown catalog sections: {', '.join(sorted(unknown))}.")
    report = LoadReport(update=update)
    if "site" in data:
        _load_site(entry=data["site"], report=report)
    for entry in data.get("credit_types", []):
        _load_credit_type(entry=entry, report=report)
    for entry in data.get("instructors", []):
        _load_instructor(entry=entry, report=report)
    offerings = [
        (_load_offering(entry=entry, report=report), entry) for entry in data.get("offerings", [])
    ]
    # Prerequisites may name offerings that come later in the data: link them once all exist.
    for (offering, created), entry in offerings:
        if "prerequisites" in entry and (created or update):
            wanted = _by_slug(Offering, entry["prerequisites"], context=offering.slug)
            _set_links(offering.prerequisites, wanted, label="prerequisites", report=report)
    for entry in data.get("bundles", []):
        _load_bundle(entry=entry, report=report)
    return report


def _load_site(*, entry: dict[str, Any], report: LoadReport) -> None:
    values = _field_values(SiteSettings, entry, context="site")
    settings = SiteSettings.objects.order_by("pk").first()
    report.loaded["site settings"] += 1
    if settings is None:
        _save_new(SiteSettings(**values), label="site settings", report=report)
    elif report.update:
        _save_changes(settings, values, label="site settings", report=report)


def _load_credit_type(*, entry: dict[str, Any], report: LoadReport) -> CreditType:
    code = _key(entry, "code", section="credit_types")
    values = _field_values(CreditType, _without(entry, {"code"}), context=code)
    for name in ("professions", "notice_professions"):
        if name in values:
            _check_professions(values[name], context=code)
    unknown = set(values.get("certificate_items", [])) - set(CertificateItem.values)
    if unknown:
        raise CatalogDataError(f"{code}: unknown certificate items: {', '.join(sorted(unknown))}.")
    return _upsert(CreditType, {"code": code}, values, label="credit types", report=report)[0]


def _load_instructor(*, entry: dict[str, Any], report: LoadReport) -> Instructor:
    slug = _key(entry, "slug", section="instructors")
    values = _field_values(Instructor, _without(entry, {"slug"}), context=slug)
    return _upsert(Instructor, {"slug": slug}, values, label="instructors", report=report)[0]


def _load_offering(*, entry: dict[str, Any], report: LoadReport) -> tuple[Offering, bool]:
    slug = _key(entry, "slug", section="offerings")
    values = _field_values(Offering, _without(entry, {"slug"} | OFFERING_RELATIONS), context=slug)
    if "eligible_professions" in values:
        _check_professions(values["eligible_professions"], context=slug)
    offering, created = _upsert(Offering, {"slug": slug}, values, label="offerings", report=report)
    if created or report.update:
        if "objectives" in entry:
            _load_objectives(offering=offering, texts=entry["objectives"], report=report)
        if "credits" in entry:
            _load_credits(offering=offering, entries=entry["credits"], report=report)
        if "instructors" in entry:
            wanted = _by_slug(Instructor, entry["instructors"], context=slug)
            _set_links(offering.instructors, wanted, label="offering instructors", report=report)
    _load_sessions(offering=offering, entries=entry.get("sessions", []), report=report)
    return offering, created


def _load_objectives(*, offering: Offering, texts: list[str], report: LoadReport) -> None:
    for position, text in enumerate(texts, start=1):
        _upsert(
            LearningObjective,
            {"offering": offering, "position": position},
            {"text": text},
            label="learning objectives",
            report=report,
        )
    extra = offering.objectives.filter(position__gt=len(texts))
    report.deleted["learning objectives"] += extra.delete()[0]


def _load_credits(*, offering: Offering, entries: list[dict[str, Any]], report: LoadReport) -> None:
    credit_types = []
    for entry in entries:
        code = _key(entry, "credit_type", section=f"{offering.slug} credits")
        credit_type = CreditType.objects.filter(code=code).first()
        if credit_type is None:
            raise CatalogDataError(f"{offering.slug}: unknown credit type {code!r}.")
        values = _field_values(
            OfferingCredit, _without(entry, {"credit_type"}), context=f"{offering.slug} {code}"
        )
        _upsert(
            OfferingCredit,
            {"offering": offering, "credit_type": credit_type},
            values,
            label="CE options",
            report=report,
        )
        credit_types.append(credit_type)
    extra = offering.credits.exclude(credit_type__in=credit_types)
    report.deleted["CE options"] += extra.delete()[0]


def _load_sessions(
    *, offering: Offering, entries: list[dict[str, Any]], report: LoadReport
) -> None:
    seen: set[datetime | None] = set()
    for entry in entries:
        unknown = set(entry) - SESSION_FIELDS
        if unknown:
            raise CatalogDataError(
                f"{offering.slug} session: unknown fields {', '.join(sorted(unknown))}."
            )
        values = _field_values(Session, entry, context=f"{offering.slug} session")
        starts_at = values.get("starts_at")
        if starts_at in seen:
            raise CatalogDataError(
                f"{offering.slug}: two sessions with the same start ({starts_at or 'tba'})."
            )
        seen.add(starts_at)
        if starts_at is None:
            if values.get("status") != Session.Status.TBA:
                raise CatalogDataError(
                    f"{offering.slug}: a session without a start must have status 'tba'."
                )
            lookup = {"offering": offering, "status": Session.Status.TBA}
            values = _without(values, {"status"})
        else:
            lookup = {"offering": offering, "starts_at": starts_at}
            values = _without(values, {"starts_at"})
        _upsert(Session, lookup, values, label="sessions", report=report)


def _load_bundle(*, entry: dict[str, Any], report: LoadReport) -> Bundle:
    slug = _key(entry, "slug", section="bundles")
    values = _field_values(Bundle, _without(entry, {"slug"} | BUNDLE_RELATIONS), context=slug)
    bundle, created = _upsert(Bundle, {"slug": slug}, values, label="bundles", report=report)
    if "offerings" in entry and (created or report.update):
        wanted = _by_slug(Offering, entry["offerings"], context=slug)
        _set_links(bundle.offerings, wanted, label="bundle offerings", report=report)
    return bundle


def _upsert(
    model: type[M],
    lookup: dict[str, Any],
    values: dict[str, Any],
    *,
    label: str,
    report: LoadReport,
) -> tuple[M, bool]:
    """The row matching `lookup`, created if missing, updated if the load updates; and
    whether it was created."""
    report.loaded[label] += 1
    instance = model.objects.filter(**lookup).order_by("pk").first()
    if instance is None:
        return _save_new(model(**lookup, **values), label=label, report=report), True
    if report.update:
        _save_changes(instance, values, label=label, report=report)
    return instance, False


def _save_new(instance: M, *, label: str, report: LoadReport) -> M:
    _validate(instance, label=label)
    instance.save()
    report.created[label] += 1
    return instance


def _save_changes(instance: M, values: dict[str, Any], *, label: str, report: LoadReport) -> M:
    # Saving only real changes keeps a repeated load silent: no writes, no cache bumps.
    changed = [name for name, value in values.items() if getattr(instance, name) != value]
    if changed:
        for name in changed:
            setattr(instance, name, values[name])
        _validate(instance, label=label)
        instance.save(update_fields=changed)
        report.updated[label] += 1
    return instance


def _validate(instance: models.Model, *, label: str) -> None:
    try:
        instance.full_clean()
    except ValidationError as error:
        raise CatalogDataError(f"{label} {instance}: {error.messages}") from error


def _set_links(manager: Any, wanted: list[models.Model], *, label: str, report: LoadReport) -> None:
    current = set(manager.values_list("pk", flat=True))
    wanted_pks = {obj.pk for obj in wanted}
    report.loaded[label] += len(wanted_pks)
    if current != wanted_pks:
        manager.set(wanted)
        report.created[label] += len(wanted_pks - current)
        report.deleted[label] += len(current - wanted_pks)


def _by_slug(model: type[M], slugs: Iterable[str], *, context: str) -> list[M]:
    slugs = list(slugs)
    found = {obj.slug: obj for obj in model.objects.filter(slug__in=slugs)}
    missing = [slug for slug in slugs if slug not in found]
    if missing:
        name = model._meta.verbose_name_plural
        raise CatalogDataError(f"{context}: unknown {name}: {', '.join(missing)}.")
    return [found[slug] for slug in slugs]


def _field_values(model: type[models.Model], entry: dict[str, Any], *, context: str) -> dict:
    """The entry's values for the model's plain fields, as the fields hold them."""
    values = {}
    for name, value in entry.items():
        try:
            model_field = model._meta.get_field(name)
        except FieldDoesNotExist:
            model_field = None
        if (
            model_field is None
            or not model_field.concrete
            or model_field.is_relation
            or model_field.primary_key
        ):
            raise CatalogDataError(f"{context}: unknown field {name!r}.")
        if isinstance(model_field, models.DecimalField):
            value = Decimal(str(value))
        elif isinstance(model_field, models.DateTimeField):
            value = _pacific(value)
        values[name] = value
    return values


def _pacific(value: str | datetime | None) -> datetime | None:
    """A Pacific local time ("2027-06-21T09:00") as an aware datetime."""
    if value is None:
        return None
    moment = datetime.fromisoformat(value) if isinstance(value, str) else value
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=PACIFIC)
    return moment


def _check_professions(codes: list[str], *, context: str) -> None:
    unknown = [code for code in codes if code not in PROFESSION_CODES]
    if unknown:
        raise CatalogDataError(f"{context}: unknown professions: {', '.join(unknown)}.")


def _key(entry: dict[str, Any], name: str, *, section: str) -> str:
    value = entry.get(name)
    if not value:
        raise CatalogDataError(f"{section}: an entry has no {name!r}.")
    return value


def _without(entry: dict[str, Any], names: Iterable[str]) -> dict[str, Any]:
    names = set(names)
    return {key: value for key, value in entry.items() if key not in names}
