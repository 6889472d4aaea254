"""Printable sign-in sheets, rendered by the worker: a sheet for 500 trainees takes WeasyPrint
several seconds, longer than a coordinator should wait on a page. The coordinator asks for
one, watches a page that refreshes itself, and downloads the PDF once it is ready.

A sheet is kept (in Django's default storage) for KEEP, then pruned. What it prints is
fingerprinted: a sheet whose roster has changed since (a trainee joined or left, a name or
license was corrected) is not served; the coordinator prepares a new one.
"""

import hashlib
import json
import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone
from django.utils.text import slugify
from django.utils.translation import gettext as _

from catalog.models import Session, SiteSettings

from ..background import SIGN_IN_SHEET_RENDER, task_queue
from ..models import SignInSheet
from ..selectors import roster_rows
from .attendance import sign_in_sheet_pdf

logger = logging.getLogger(__name__)

KEEP = timedelta(hours=1)
# A sheet still "being prepared" this long after it was asked for lost its task (a worker
# stopped): asking again prepares a new one rather than waiting on it.
PREPARING_LONGEST = timedelta(minutes=5)


def _fingerprint(session: Session, *, enrolment_ids: list[int] | None, now: datetime):
    """(the hash of what the sheet prints, the number of trainees on it)."""
    rows = roster_rows(
        session=session,
        now=now,
        grace_minutes=SiteSettings.current().attendance_grace_minutes,
        enrolment_ids=enrolment_ids,
    )
    printed = [
        session.offering.display_title,
        session.when,
        session.location,
        SiteSettings.current().center_name,
        [
            (
                row.enrolment_id,
                row.legal_name,
                row.credentials,
                row.profession_short,
                row.license_number,
                row.license_state,
            )
            for row in rows
        ],
    ]
    digest = hashlib.sha256(json.dumps(printed, default=str).encode()).hexdigest()
    return digest, len(rows)


def sign_in_sheet_request(
    *, session: Session, enrolment_ids: list[int] | None, by, now: datetime
) -> SignInSheet:
    """The sheet of the chosen entries (None: the whole roster): one already prepared or on
    its way for the same roster, else a new one, rendered by the worker once this commits."""
    ids = sorted(enrolment_ids) if enrolment_ids is not None else None
    fingerprint, trainees = _fingerprint(session, enrolment_ids=ids, now=now)
    reusable = SignInSheet.objects.filter(
        session=session,
        fingerprint=fingerprint,
        expires_at__gt=now,
        status__in=(SignInSheet.Status.READY, SignInSheet.Status.PREPARING),
    ).exclude(status=SignInSheet.Status.PREPARING, requested_at__lt=now - PREPARING_LONGEST)
    sheet = reusable.order_by("-requested_at").first()
    if sheet is not None:
        return sheet
    sheet = SignInSheet.objects.create(
        session=session,
        enrolment_ids=ids,
        fingerprint=fingerprint,
        trainees=trainees,
        requested_by=by,
        requested_at=now,
        expires_at=now + KEEP,
    )
    transaction.on_commit(lambda: _publish(sheet.pk))
    return sheet


def _publish(sheet_id: int) -> None:
    """Hand the sheet to the worker. When the broker can't be reached, the sheet is marked
    failed at once (its page offers to prepare it again) and the coordinator's request goes
    on."""
    try:
        task_queue(SIGN_IN_SHEET_RENDER, sheet_id)
    except Exception:
        logger.warning("Could not queue sign-in sheet %s", sheet_id, exc_info=True)
        SignInSheet.objects.filter(pk=sheet_id, status=SignInSheet.Status.PREPARING).update(
            status=SignInSheet.Status.FAILED, error="The worker could not be reached."
        )


def sign_in_sheet_render(*, sheet_id: int, now: datetime) -> bool:
    """Render a sheet being prepared and keep its PDF; False when there was nothing to do
    (already rendered, or pruned)."""
    with transaction.atomic():
        sheet = (
            SignInSheet.objects.select_for_update(of=("self",))
            .select_related("session__offering")
            .filter(pk=sheet_id, status=SignInSheet.Status.PREPARING)
            .first()
        )
        if sheet is None:
            return False
        try:
            # The roster as it is now: if it changed since the request, the sheet prints the
            # new one and says so by its fingerprint.
            fingerprint, trainees = _fingerprint(
                sheet.session, enrolment_ids=sheet.enrolment_ids, now=now
            )
            content = sign_in_sheet_pdf(
                session=sheet.session, now=now, enrolment_ids=sheet.enrolment_ids
            )
        except Exception as error:
            logger.exception("Sign-in sheet %s not rendered", sheet.pk)
            sheet.status, sheet.error = SignInSheet.Status.FAILED, repr(error)[:500]
            sheet.save(update_fields=["status", "error"])
            return False
        starts_at = sheet.session.starts_at
        day = timezone.localtime(starts_at).date().isoformat() if starts_at else ""
        name = f"sign-in-sheet-{slugify(sheet.session.offering.label)}-{day}-{sheet.pk}.pdf"
        sheet.pdf.save(name, ContentFile(content), save=False)
        sheet.fingerprint, sheet.trainees = fingerprint, trainees
        sheet.status, sheet.ready_at, sheet.expires_at = SignInSheet.Status.READY, now, now + KEEP
        sheet.save(
            update_fields=["pdf", "fingerprint", "trainees", "status", "ready_at", "expires_at"]
        )
    return True


@dataclass(frozen=True)
class SheetState:
    """Where a sheet stands for the coordinator: "preparing", "ready", "changed" (the roster
    changed since: not served), "expired" or "failed"."""

    state: str
    sheet: SignInSheet

    @property
    def servable(self) -> bool:
        return self.state == "ready"


def sign_in_sheet_state(*, sheet: SignInSheet, now: datetime) -> SheetState:
    if sheet.expires_at <= now:
        return SheetState("expired", sheet)
    if sheet.status == SignInSheet.Status.FAILED:
        return SheetState("failed", sheet)
    if sheet.status == SignInSheet.Status.PREPARING:
        lost = sheet.requested_at < now - PREPARING_LONGEST  # its worker stopped
        return SheetState("failed" if lost else "preparing", sheet)
    fingerprint, _trainees = _fingerprint(sheet.session, enrolment_ids=sheet.enrolment_ids, now=now)
    return SheetState("ready" if fingerprint == sheet.fingerprint else "changed", sheet)


def sign_in_sheet_content(*, sheet: SignInSheet, now: datetime) -> bytes:
    """The PDF of a sheet that may be served (sign_in_sheet_state says "ready")."""
    if not sign_in_sheet_state(sheet=sheet, now=now).servable:
        raise ValueError(_("This sign-in sheet can no longer be downloaded."))
    with sheet.pdf.open("rb") as pdf:
        return pdf.read()


def sign_in_sheets_prune(*, now: datetime) -> int:
    """Delete the sheets kept past their time, with their files; how many."""
    pruned = 0
    for sheet in SignInSheet.objects.filter(expires_at__lte=now):
        if sheet.pdf:
            sheet.pdf.delete(save=False)
        sheet.delete()
        pruned += 1
    return pruned
