"""How certificates takes part in what registration does: receivers of its signals
(registration.signals) and its entries in the registries below (the audit log's actions,
the outbox's email kinds). Connected by CertificatesConfig.ready()."""

from functools import partial

from django.db import transaction
from django.db.models import Prefetch
from django.dispatch import receiver
from django.utils.translation import gettext as _

from catalog.models import SiteSettings
from registration import signals
from registration.selectors import TrainingState
from registration.services.emails import email_kind_register

from . import actions, selectors
from .services import delivery
from .services.sessions import certificates_issue_on_attendance


def registries_join() -> None:
    """Certificates' audit log actions, and its email kind in registration's outbox (each
    certificate's email is composed here)."""
    actions.actions_register()
    email_kind_register(
        delivery.KIND,
        compose=delivery.certificate_email,
        status_changed=delivery.certificate_delivery_follow,
    )


@receiver(signals.attendance_marked, dispatch_uid="certificates.attendance_marked")
def _attendance_marked(sender, *, enrolment_ids, by, now, **kwargs) -> None:
    """The site setting "issue certificates when attendance is marked": once the marking
    commits, what each trainee has earned is issued, and its delivery queued."""
    if enrolment_ids and SiteSettings.current().issue_certificates_on_attendance:
        transaction.on_commit(
            partial(certificates_issue_on_attendance, enrolment_ids=enrolment_ids, by=by, now=now)
        )


@receiver(signals.attendance_relied_on, dispatch_uid="certificates.attendance_relied_on")
def _attendance_relied_on(sender, *, enrolments, **kwargs) -> set[int]:
    """A valid certificate rests on full attendance: revoke it before undoing that."""
    return selectors.enrolments_certified(enrolments=enrolments)


@receiver(signals.enrolments_prefetch, dispatch_uid="certificates.enrolments_prefetch")
def _enrolments_prefetch(sender, *, prefix: str, **kwargs) -> list[Prefetch]:
    """Each enrolment's certificates the trainee can download, as `valid_certificates`."""
    return [
        Prefetch(
            f"{prefix}certificates",
            queryset=selectors.valid_certificates(),
            to_attr="valid_certificates",
        )
    ]


@receiver(signals.training_states, dispatch_uid="certificates.training_states")
def _training_states(sender, *, enrolments, **kwargs) -> dict[int, list[TrainingState]]:
    ready = [TrainingState(_("Certificate ready"), "success")]
    return {e.pk: ready for e in enrolments if getattr(e, "valid_certificates", None)}


@receiver(signals.my_trainings_shown, dispatch_uid="certificates.my_trainings_shown")
def _my_trainings_shown(sender, *, trainee, **kwargs) -> dict:
    return {"has_ce_certificates": selectors.trainee_has_ce_certificates(trainee=trainee)}


@receiver(signals.account_closure_downloads, dispatch_uid="certificates.account_closure")
def _account_closure_downloads(sender, *, trainee, **kwargs) -> list:
    return selectors.trainee_certificates(trainee=trainee)


@receiver(signals.dashboard_panels, dispatch_uid="certificates.dashboard_panels")
def _dashboard_panels(sender, *, now, season, **kwargs) -> dict:
    return {"certificates": selectors.dashboard_certificates(now=now, season=season)}
