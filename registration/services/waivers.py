"""Prerequisite waivers: the coordinator lets a trainee register without a prerequisite
(registration.rules reads them when it checks a cart)."""

from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from catalog.models import Offering

from ..models import PrerequisiteWaiver
from ..selectors import user_display
from .exceptions import StaffActionRefused


def waiver_grant(*, trainee, offering: Offering, reason: str, by) -> PrerequisiteWaiver:
    """Let a trainee register without having taken `offering` (e.g. Module 1)."""
    reason = reason.strip()
    if not reason:
        raise StaffActionRefused(_("Give the reason for the waiver."))
    try:
        with transaction.atomic():
            return PrerequisiteWaiver.objects.create(
                trainee=trainee, offering=offering, reason=reason, granted_by=by
            )
    except IntegrityError:
        raise StaffActionRefused(
            _("%(name)s already has a waiver for %(offering)s.")
            % {"name": user_display(trainee), "offering": offering.label}
        ) from None
