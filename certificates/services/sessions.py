"""The coordinator's side of certificates: issuing a session's certificates from its roster,
and watching them being rendered and emailed.

Issuing itself (what a certificate snapshots, when it may be issued, queuing its delivery
after commit) is certificates.services.issuing; this module decides whom to issue for,
gathers what was refused and why, and counts how delivery is going.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime

from django.db.models import Count, Q
from django.utils.translation import gettext as _

from catalog.models import Session
from registration.models import Enrolment
from registration.selectors import roster_entries

from ..models import Certificate
from .delivery import certificates_delivery_retry, certificates_stuck
from .issuing import certificates_issue, partial_attendance_reason

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class IssueReport:
    """What issuing did: certificates newly issued (their delivery queued), those that were
    already there (nothing queued again), and each refusal with its reason."""

    issued: list[Certificate] = field(default_factory=list)
    refused: list[tuple[Enrolment, str]] = field(default_factory=list)
    already: list[Certificate] = field(default_factory=list)


@dataclass(frozen=True)
class Progress:
    """How a session's valid certificates are getting on: M in all, how many rendered,
    how many emailed (emailed ones were rendered first), each failure with its error, and
    how many are stuck on their way (their task lost with a worker: see OUTBOX_STUCK_SECONDS)."""

    total: int
    rendered: int
    emailed: int
    failed: list[tuple[Certificate, str]]
    queued: int = 0
    stuck: int = 0

    @property
    def retryable(self) -> bool:
        return bool(self.failed) or self.stuck > 0

    @property
    def emailing(self) -> int:
        """Rendered, and not emailed yet."""
        return self.rendered - self.emailed

    @property
    def in_flight(self) -> bool:
        """Some are still on their way: queued, or rendered and not yet emailed."""
        return self.queued > 0 or self.emailing > 0

    @property
    def done(self) -> bool:
        return self.total > 0 and not self.in_flight


def _enrolments(session: Session, enrolment_ids: Iterable[int] | None, now: datetime):
    """Seat-holding enrolments of the session, by legal name: the chosen ones, or (without
    a choice) everyone marked attended in full, and those marked partial, who are told why
    they get nothing."""
    entries = roster_entries(now=now, session_id=session.pk)
    if enrolment_ids is None:
        return list(
            entries.filter(
                attendance__in=(Enrolment.Attendance.ATTENDED, Enrolment.Attendance.PARTIAL)
            )
        )
    return list(entries.filter(pk__in=list(enrolment_ids)))


def _not_attended_reason(enrolment: Enrolment, now: datetime) -> str:
    if enrolment.attendance == Enrolment.Attendance.PARTIAL:
        return partial_attendance_reason(enrolment, now=now)
    if enrolment.attendance == Enrolment.Attendance.ABSENT:
        return _("marked absent")
    return _("not marked attended in full")


def session_certificates_issue(
    *, session: Session, enrolment_ids: Iterable[int] | None = None, by, now: datetime
) -> IssueReport:
    """Issue the certificates of the chosen trainees of a session (or of everyone marked
    attended in full): a Certificate of Attendance for each, and the CE certificate for those
    who bought CE. What can't be issued is reported with its reason (partial attendance
    earns nothing, and says what made it partial), and the rest goes ahead:
    a CE certificate waiting for its evaluation leaves the Certificate of Attendance issued.

    Idempotent: a certificate already issued is reported as such and not queued again.
    Each delivery is queued once its certificate is committed.
    """
    report = IssueReport()
    enrolments = _enrolments(session, enrolment_ids, now)
    attended = []
    for enrolment in enrolments:
        if enrolment.attendance == Enrolment.Attendance.ATTENDED:
            attended.append(enrolment.pk)
        else:
            report.refused.append((enrolment, _not_attended_reason(enrolment, now)))
    outcome = certificates_issue(enrolment_ids=attended, now=now, by=by)
    report.issued.extend(outcome.issued)
    report.already.extend(outcome.already)
    # Refusals in the roster's order, naming the roster's own entries.
    entries = {enrolment.pk: enrolment for enrolment in enrolments}
    report.refused.extend(
        (entries[enrolment.pk], reason) for enrolment, _, reason in outcome.refused
    )
    position = {enrolment.pk: index for index, enrolment in enumerate(enrolments)}
    report.refused.sort(key=lambda refusal: position[refusal[0].pk])
    logger.info(
        "Certificates for session %s: %d issued, %d already issued, %d refused",
        session.pk,
        len(report.issued),
        len(report.already),
        len(report.refused),
    )
    return report


def session_partial_attendance(*, session: Session, now: datetime) -> list[tuple[Enrolment, str]]:
    """The session's trainees marked partial, each with why they get no certificate."""
    return [
        (enrolment, partial_attendance_reason(enrolment, now=now))
        for enrolment in roster_entries(now=now, session_id=session.pk).filter(
            attendance=Enrolment.Attendance.PARTIAL
        )
    ]


def session_certificates_progress(*, session: Session, now: datetime) -> Progress:
    """Delivery of the session's valid certificates: "N of M rendered and emailed", every
    failure with its reason, and how many are stuck (superseded and revoked versions are
    not counted)."""
    certificates = Certificate.objects.filter(
        enrolment__session=session, status=Certificate.Status.VALID
    )
    Delivery = Certificate.Delivery
    counts = certificates.aggregate(
        total=Count("pk"),
        queued=Count("pk", filter=Q(delivery=Delivery.QUEUED)),
        rendered=Count("pk", filter=Q(delivery__in=(Delivery.RENDERED, Delivery.EMAILED))),
        emailed=Count("pk", filter=Q(delivery=Delivery.EMAILED)),
    )
    failed = [
        (certificate, certificate.delivery_error or _("no reason was recorded"))
        for certificate in certificates.filter(delivery=Delivery.FAILED)
        .select_related("credit_type", "trainee")
        .order_by("legal_name", "kind", "pk")
    ]
    stuck = []
    if counts["queued"] or counts["rendered"] > counts["emailed"]:
        on_their_way = certificates.filter(delivery__in=(Delivery.QUEUED, Delivery.RENDERED))
        stuck = certificates_stuck(
            certificate_ids=on_their_way.values_list("pk", flat=True), now=now
        )
    return Progress(
        total=counts["total"],
        rendered=counts["rendered"],
        emailed=counts["emailed"],
        failed=failed,
        queued=counts["queued"],
        stuck=len(stuck),
    )


def session_certificates_retry(*, session: Session, now: datetime) -> int:
    """Send the session's failed and stuck certificates again; how many."""
    undelivered = Certificate.objects.filter(
        enrolment__session=session, status=Certificate.Status.VALID
    ).exclude(delivery=Certificate.Delivery.EMAILED)
    failed = undelivered.filter(delivery=Certificate.Delivery.FAILED).values_list("pk", flat=True)
    on_their_way = undelivered.exclude(delivery=Certificate.Delivery.FAILED)
    ids = [
        *failed,
        *certificates_stuck(certificate_ids=on_their_way.values_list("pk", flat=True), now=now),
    ]
    return certificates_delivery_retry(certificate_ids=ids, now=now) if ids else 0


def certificates_issue_on_attendance(*, enrolment_ids: Iterable[int], by, now: datetime) -> None:
    """Issue what trainees just marked attended have earned: the Certificate of Attendance,
    and the CE certificate where the evaluation is already in (run after the marking commits;
    a refusal is logged, the coordinator sees it when issuing from the roster)."""
    enrolment_ids = list(enrolment_ids)
    attended = Enrolment.objects.filter(
        pk__in=enrolment_ids, attendance=Enrolment.Attendance.ATTENDED
    ).values_list("pk", flat=True)
    try:
        outcome = certificates_issue(enrolment_ids=list(attended), now=now, by=by)
    except Exception:
        logger.exception("Issuing the certificates of enrolments %s failed", enrolment_ids)
        return
    for enrolment, kind, reason in outcome.refused:
        logger.info(
            "No %s certificate for enrolment %s on attendance: %s", kind, enrolment.pk, reason
        )
