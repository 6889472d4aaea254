"""Issuing certificates: every state change of a certificate is here, but for its delivery's
(certificates.services.delivery).

A certificate snapshots what it certifies when it is issued; a correction is a new version
that supersedes it; nothing is ever deleted (CE rules: records kept four years). Issuing
records each version's email in the outbox in the same transaction; the outbox sends it
once (see certificates.services.delivery).
"""

import logging
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime

from django.core.exceptions import ObjectDoesNotExist
from django.db import transaction
from django.db.models import Max
from django.utils.text import capfirst
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy

from audit.services import log_action, log_actions
from catalog.certificate_items import PROVIDER_FIELDS, CertificateItem, items_missing_text
from catalog.formatting import PACIFIC, format_session_date, format_session_times
from catalog.models import CreditType, Offering, OfferingCredit, Session
from catalog.professions import Profession, credentials_after_name
from catalog.selectors import credit_type_missing_items
from registration.models import Enrolment, TraineeProfile
from registration.selectors import attendance_shortfall

from ..actions import certificate_data
from ..models import Certificate
from .delivery import certificate_delivery_cancel, certificates_delivery_queue

logger = logging.getLogger(__name__)


class CertificateRefused(Exception):
    """The certificate can't be issued (or changed); args[0] says why, in plain words."""


def evaluations_submitted(enrolment: Enrolment) -> bool:
    """Whether the trainee submitted the course evaluation of this enrolment."""
    try:
        evaluation = enrolment.evaluation
    except (ObjectDoesNotExist, AttributeError):
        return False
    return getattr(evaluation, "submitted_at", None) is not None


def session_dates_text(session: Session) -> str:
    """ "Mon, Jun 21, 2027", or "Fri, Sep 10 – Sun, Sep 12, 2027" for a session of several days."""
    if session.starts_at is None or session.ends_at is None:
        return format_session_date(None)
    start, end = session.starts_at.astimezone(PACIFIC), session.ends_at.astimezone(PACIFIC)
    if start.date() == end.date():
        return format_session_date(start)
    first = start.strftime("%a, %b %-d") + (f", {start.year}" if start.year != end.year else "")
    return f"{first} – {format_session_date(end)}"


def _profile(enrolment: Enrolment) -> TraineeProfile | None:
    try:
        return enrolment.trainee.trainee_profile
    except TraineeProfile.DoesNotExist:
        return None


def _expired_message(credit_type: CreditType) -> str:
    if credit_type.provider_number:
        return _(
            "No %(code)s certificate can be issued while provider number %(number)s is "
            "marked expired."
        ) % {"code": credit_type.short_name, "number": credit_type.provider_number}
    return _("No %(code)s certificate can be issued while %(name)s is marked expired.") % {
        "code": credit_type.short_name,
        "name": credit_type.name,
    }


def partial_attendance_reason(enrolment: Enrolment, *, now: datetime) -> str:
    """Why an enrolment marked partial earns neither certificate (BRN 16 CCR §1451(c); APA:
    full attendance only): "Left early at 12:00 PM (session ends 5:00 PM): partial attendance
    earns no credit." """
    shortfall = attendance_shortfall(enrolment, now=now)
    if not shortfall:
        return _("Marked partial attendance, which earns no credit.")
    return _("%(shortfall)s: partial attendance earns no credit.") % {
        "shortfall": capfirst(shortfall)
    }


def _check_attended(enrolment: Enrolment, now: datetime) -> None:
    """Full attendance of a session that has ended (no partial credit)."""
    if enrolment.status != Enrolment.Status.CONFIRMED:
        raise CertificateRefused(
            _("Only a confirmed registration earns a certificate; this one is %(status)s.")
            % {"status": enrolment.get_status_display().lower()}
        )
    if enrolment.attendance == Enrolment.Attendance.PARTIAL:
        raise CertificateRefused(partial_attendance_reason(enrolment, now=now))
    if enrolment.attendance != Enrolment.Attendance.ATTENDED:
        raise CertificateRefused(
            _(
                "The trainee is not marked attended in full: certificates are for full "
                "attendance only."
            )
        )
    session = enrolment.session
    if session.ends_at is None or session.ends_at > now:
        raise CertificateRefused(_("The session has not ended yet."))


# What a certificate must carry that is read from the certificate itself (the trainee's and
# the course's items); the provider's items are the credit type's (catalog.selectors).
SNAPSHOT_FIELDS = {
    CertificateItem.LICENSEE_NAME: "legal_name",
    CertificateItem.LICENSE_TYPE: "license_type",
    CertificateItem.LICENSE_NUMBER: "license_number",
    CertificateItem.COURSE_TITLE: "course_title",
    CertificateItem.DATE: "session_dates",
    CertificateItem.CREDITS: "credits",
}

# How a certificate says the course was given.
DELIVERY_FORMATS = {
    Offering.Delivery.ZOOM: _lazy("Live, interactive, via Zoom"),
    Offering.Delivery.IN_PERSON: _lazy("In person"),
    Offering.Delivery.HYBRID: _lazy("Live, interactive, in person and via Zoom"),
}


def certificate_missing_items(
    certificate: Certificate, *, provider_missing: list[CertificateItem] | None = None
) -> list[CertificateItem]:
    """The items the certificate's credit type requires that it would lack, in the order the
    credit type lists them. `provider_missing` is what the credit type itself lacks, when the
    caller knows it already."""
    credit_type = certificate.credit_type
    if provider_missing is None:
        provider_missing = credit_type_missing_items(credit_type)
    missing = []
    for item in credit_type.required_items:
        if item in PROVIDER_FIELDS:
            if item in provider_missing:
                missing.append(item)
        elif not str(getattr(certificate, SNAPSHOT_FIELDS[item]) or "").strip():
            missing.append(item)
    return missing


def _refused_for_missing(credit_type: CreditType, missing: list[CertificateItem]) -> str:
    """ "BRN certificate refused: provider address missing, signature missing." """
    return _("%(name)s certificate refused: %(items)s.") % {
        "name": credit_type.short_name,
        "items": items_missing_text(missing, unit=credit_type.unit),
    }


def _credits(enrolment: Enrolment, offering_credits: dict):
    """The CE credits the enrolment's course carries for its credit type, or None.
    `offering_credits` maps (offering id, credit type id) to the credits the offering carries."""
    credits = offering_credits.get((enrolment.session.offering_id, enrolment.credit_type_id))
    if credits is not None:
        return credits
    if enrolment.order_line_id and enrolment.order_line.ce_credits:
        return enrolment.order_line.ce_credits
    return None


def _check_ce(
    enrolment: Enrolment,
    certificate: Certificate,
    profile: TraineeProfile | None,
    provider_missing: dict,
) -> None:
    """Every condition of a CE certificate: the credit type usable and every item it requires
    on the certificate, the trainee's license details, the evaluation submitted, credits.
    `provider_missing` memoises what each credit type lacks, across a roster."""
    credit_type = enrolment.credit_type
    if credit_type is None:
        raise CertificateRefused(_("This registration has no CE credit."))
    if credit_type.expired:
        raise CertificateRefused(_expired_message(credit_type))
    if credit_type.pk not in provider_missing:
        provider_missing[credit_type.pk] = credit_type_missing_items(credit_type)
    missing = certificate_missing_items(
        certificate, provider_missing=provider_missing[credit_type.pk]
    )
    if missing:
        raise CertificateRefused(_refused_for_missing(credit_type, missing))
    if profile is None or not profile.is_complete:
        raise CertificateRefused(
            _(
                "The trainee's profile lacks their legal name or license details, which a CE "
                "certificate carries."
            )
        )
    if not evaluations_submitted(enrolment):
        raise CertificateRefused(
            _("The CE certificate is issued once the trainee submits the course evaluation.")
        )
    if certificate.credits is None:
        raise CertificateRefused(
            _("%(course)s carries no %(credit)s.")
            % {"course": enrolment.session.offering.label, "credit": credit_type.name}
        )


def _log(certificate: Certificate, *, by, action: str, data: dict) -> None:
    """The order's audit log records who issued, corrected or revoked a certificate."""
    line = certificate.enrolment.order_line
    if line is not None:
        log_action(line.order, action, actor=by, data={**certificate_data(certificate), **data})


@dataclass(frozen=True)
class Issuance:
    """What issuing did: certificates newly issued (their delivery queued once committed),
    those that were there already (nothing queued again), and each refusal with its reason."""

    issued: list[Certificate] = field(default_factory=list)
    already: list[Certificate] = field(default_factory=list)
    refused: list[tuple[Enrolment, str, str]] = field(default_factory=list)  # (…, kind, reason)


def _new_certificate(
    enrolment: Enrolment,
    kind: str,
    *,
    version: int,
    offering_credits: dict,
    provider_missing: dict,
    now: datetime,
) -> Certificate:
    """The certificate this enrolment earns, snapshotting what it certifies; refused (with
    the reason) when a condition does not hold."""
    _check_attended(enrolment, now)
    profile = _profile(enrolment)
    session = enrolment.session
    offering = session.offering
    license_type, credentials = "", ""
    if profile is not None:
        if profile.profession and profile.profession != Profession.OTHER:
            license_type = str(Profession(profile.profession).label)
        credentials = credentials_after_name(
            credentials=profile.credentials, profession=profile.profession
        )
    ce = kind == Certificate.Kind.CE
    certificate = Certificate(
        enrolment=enrolment,
        trainee=enrolment.trainee,
        kind=kind,
        credit_type=enrolment.credit_type if ce else None,
        credits=_credits(enrolment, offering_credits) if ce and enrolment.credit_type else None,
        hours=offering.hours,
        legal_name=" ".join(profile.legal_name.split()) if profile else "",
        credentials=credentials,
        license_type=license_type,
        license_number=profile.license_number.strip() if profile else "",
        license_state=profile.license_state if profile else "",
        course_title=offering.display_title.strip(),
        session_dates=session_dates_text(session),
        session_times=format_session_times(session.starts_at, session.ends_at),
        delivery_format=str(DELIVERY_FORMATS.get(offering.delivery, "")),
        version=version,
        issued_at=now,
    )
    if ce:
        _check_ce(enrolment, certificate, profile, provider_missing)
    if not certificate.legal_name:
        raise CertificateRefused(
            _("The trainee has not given their legal name yet: their profile needs it.")
        )
    return certificate


def certificates_issue(
    *, enrolment_ids: Iterable[int], now: datetime, by=None, kinds: Iterable[str] | None = None
) -> Issuance:
    """Issue the certificates of these enrolments in one transaction, and queue their
    delivery once it commits: of the given kinds, or (without kinds) what each has earned —
    the Certificate of Attendance, and the CE certificate when it bought CE. A refusal is
    reported with its reason and the rest goes ahead; an enrolment refused its Certificate
    of Attendance is not considered for the CE certificate, which rests on the same
    attendance.

    Idempotent: an enrolment's valid certificate of a kind is reported as already there.
    Built for a whole roster: the enrolments are locked and what issuing reads is fetched
    in a handful of queries, whatever their number.
    """
    wanted = [Certificate.Kind(kind) for kind in kinds] if kinds is not None else None
    outcome = Issuance()
    with transaction.atomic():
        enrolments = list(
            Enrolment.objects.select_for_update(of=("self",))
            .select_related(
                "session__offering",
                "credit_type",
                "trainee__trainee_profile",
                "order_line__order",  # the order's audit log records the issuing
                "evaluation",
            )
            .filter(pk__in=list(enrolment_ids))
            .order_by("pk")
        )
        ids = [enrolment.pk for enrolment in enrolments]
        existing = {
            (certificate.enrolment_id, certificate.kind): certificate
            for certificate in Certificate.objects.filter(
                enrolment_id__in=ids, status=Certificate.Status.VALID
            )
        }
        versions = {
            (row["enrolment_id"], row["kind"]): row["last"]
            for row in Certificate.objects.filter(enrolment_id__in=ids)
            .values("enrolment_id", "kind")
            .annotate(last=Max("version"))
        }
        offering_credits = {
            (credit.offering_id, credit.credit_type_id): credit.credits
            for credit in OfferingCredit.objects.filter(
                offering_id__in={enrolment.session.offering_id for enrolment in enrolments}
            )
        }
        new: list[Certificate] = []
        provider_missing: dict = {}
        for enrolment in enrolments:
            kinds_here = wanted or [Certificate.Kind.ATTENDANCE] + (
                [Certificate.Kind.CE] if enrolment.credit_type_id else []
            )
            for kind in kinds_here:
                found = existing.get((enrolment.pk, kind))
                if found is not None:
                    outcome.already.append(found)
                    continue
                try:
                    new.append(
                        _new_certificate(
                            enrolment,
                            kind,
                            version=versions.get((enrolment.pk, kind), 0) + 1,
                            offering_credits=offering_credits,
                            provider_missing=provider_missing,
                            now=now,
                        )
                    )
                except CertificateRefused as refusal:
                    reason = str(refusal.args[0]) if refusal.args else _("refused")
                    outcome.refused.append((enrolment, kind, reason))
                    if kind == Certificate.Kind.ATTENDANCE:
                        break
        outcome.issued.extend(Certificate.objects.bulk_create(new))
        log_actions(
            (
                (
                    certificate.enrolment.order_line.order,
                    {
                        **certificate_data(certificate),
                        "session": str(certificate.enrolment.session),
                    },
                )
                for certificate in outcome.issued
                if certificate.enrolment.order_line_id
            ),
            "certificates.certificate.issued",
            actor=by,
        )
        certificates_delivery_queue(certificates=outcome.issued)
    return outcome


def certificate_issue(*, enrolment: Enrolment, kind: str, now: datetime, by=None) -> Certificate:
    """Issue the trainee's certificate of that kind for this enrolment, and queue its delivery.

    Idempotent: an enrolment's valid certificate of a kind is returned as it is.
    """
    outcome = certificates_issue(enrolment_ids=[enrolment.pk], kinds=[kind], now=now, by=by)
    if outcome.refused:
        raise CertificateRefused(outcome.refused[0][2])
    return (outcome.issued or outcome.already)[0]


def certificates_issue_for_enrolment(
    *, enrolment: Enrolment, now: datetime, by=None
) -> list[Certificate]:
    """The Certificate of Attendance, plus the CE certificate when it can be issued already
    (a CE refusal, e.g. the evaluation still missing, is not an error here)."""
    outcome = certificates_issue(enrolment_ids=[enrolment.pk], now=now, by=by)
    for _enrolment, kind, reason in outcome.refused:
        if kind == Certificate.Kind.ATTENDANCE:
            raise CertificateRefused(reason)
        logger.info("No CE certificate for enrolment %s yet: %s", enrolment.pk, reason)
    return sorted(
        outcome.issued + outcome.already, key=lambda c: c.kind != Certificate.Kind.ATTENDANCE
    )


def _lock(certificate: Certificate) -> Certificate:
    return (
        Certificate.objects.select_for_update(of=("self",))
        .select_related(
            "enrolment__order_line__order", "enrolment__session__offering", "credit_type"
        )
        .get(pk=certificate.pk)
    )


def certificate_reissue(
    *, certificate: Certificate, legal_name: str, by, now: datetime
) -> Certificate:
    """A corrected certificate with the name as it must read: a new version with a new code,
    emailed to the trainee; the one it replaces becomes "superseded"."""
    legal_name = " ".join(legal_name.split())
    if not legal_name:
        raise CertificateRefused(_("Write the name as it must read on the certificate."))
    with transaction.atomic():
        old = _lock(certificate)
        if old.status != Certificate.Status.VALID:
            raise CertificateRefused(
                _("Only a valid certificate can be corrected: this one is %(status)s.")
                % {"status": old.get_status_display().lower()}
            )
        version = (
            Certificate.objects.filter(enrolment_id=old.enrolment_id, kind=old.kind).aggregate(
                last=Max("version")
            )["last"]
            + 1
        )
        new = Certificate(
            enrolment_id=old.enrolment_id,
            trainee_id=old.trainee_id,
            kind=old.kind,
            credit_type=old.credit_type,
            credits=old.credits,
            hours=old.hours,
            legal_name=legal_name,
            credentials=old.credentials,
            license_type=old.license_type,
            license_number=old.license_number,
            license_state=old.license_state,
            course_title=old.course_title,
            session_dates=old.session_dates,
            session_times=old.session_times,
            delivery_format=old.delivery_format,
            version=version,
            supersedes=old,
            issued_at=now,
        )
        if old.credit_type_id:
            if old.credit_type.expired:
                raise CertificateRefused(_expired_message(old.credit_type))
            missing = certificate_missing_items(new)
            if missing:
                raise CertificateRefused(_refused_for_missing(old.credit_type, missing))
        old.status = Certificate.Status.SUPERSEDED
        old.save(update_fields=["status"])
        new.save()
        _log(
            new,
            by=by,
            action="certificates.certificate.reissued",
            data={
                "version": new.version,
                "legal_name": legal_name,
                "old_version": old.version,
                "old_code": old.code,
            },
        )
        certificate_delivery_cancel(certificate=old)
        certificates_delivery_queue(certificates=[new])
    return new


def certificate_revoke(*, certificate: Certificate, by, reason: str, now: datetime) -> Certificate:
    """Revoke a certificate issued in error: the record stays, with the reason, and the
    verification page says it is revoked. Revoking a revoked certificate changes nothing."""
    reason = reason.strip()
    if not reason:
        raise CertificateRefused(_("Give the reason for revoking the certificate."))
    with transaction.atomic():
        certificate = _lock(certificate)
        if certificate.status == Certificate.Status.REVOKED:
            return certificate
        if certificate.status != Certificate.Status.VALID:
            raise CertificateRefused(
                _("This certificate is superseded: revoke its current version instead.")
            )
        certificate.status = Certificate.Status.REVOKED
        certificate.revoked_at = now
        certificate.revoked_reason = reason
        certificate.save(update_fields=["status", "revoked_at", "revoked_reason"])
        certificate_delivery_cancel(certificate=certificate)
        _log(
            certificate,
            by=by,
            action="certificates.certificate.revoked",
            data={"reason": reason},
        )
    return certificate
