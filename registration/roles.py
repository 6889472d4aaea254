"""The staff roles, kept in step with the code after every migrate (idempotent).

- Coordinator: runs the catalog, rosters, attendance, orders, refunds, transfers, waitlists
  and certificates, and watches the outbox; never sees intake medical details nor site
  settings.
- Clinical reviewer: the one permission that shows intake medical details.
Site settings stay with superusers.
"""

from django.contrib.auth.models import Group, Permission
from django.db.models import Q

COORDINATOR = "Coordinator"
CLINICAL_REVIEWER = "Clinical reviewer"
INTAKE_PERMISSION = ("registration", "view_intake_answers")

# app label → model → actions
COORDINATOR_PERMISSIONS = {
    "catalog": {
        "offering": ("view", "add", "change"),
        "session": ("view", "add", "change"),
        "instructor": ("view", "add", "change"),
        "learningobjective": ("view", "add", "change", "delete"),
        "offeringcredit": ("view", "add", "change", "delete"),
        "credittype": ("view", "change"),
        "bundle": ("view", "add", "change"),
    },
    "registration": {
        "order": ("view", "change"),
        "orderline": ("view",),
        "enrolment": ("view", "change"),
        "rosterentry": ("view", "change"),
        "traineeprofile": ("view", "change"),
        "prerequisitewaiver": ("view", "add"),
        "waitlistentry": ("view", "change"),
        "payment": ("view",),
        "refund": ("view",),
        "orderevent": ("view",),
        "invitation": ("view", "add", "change"),
        "intakequestion": ("view", "add", "change"),
        # The status of intakes only; the answers need the clinical reviewer permission.
        "intake": ("view",),
        "interestsignup": ("view",),
        "inquiry": ("view", "change"),
        "inquiryrecipient": ("view", "add", "change"),
        "accountclosure": ("view",),
        # "change" is the outbox's retry action; its rows are never edited.
        "outboundemail": ("view", "change"),
    },
    "certificates": {
        "certificate": ("view", "change"),
        "evaluation": ("view",),
        "objectiverating": ("view",),
        "instructorrating": ("view",),
    },
}


def _permissions(spec: dict[str, dict[str, tuple[str, ...]]]) -> list[Permission]:
    query = Q(pk__in=[])
    for app_label, models in spec.items():
        for model, actions in models.items():
            query |= Q(
                content_type__app_label=app_label,
                content_type__model=model,
                codename__in=[f"{action}_{model}" for action in actions],
            )
    return list(Permission.objects.filter(query))


def roles_sync(**kwargs) -> None:
    """Create or update the staff groups with exactly their permissions."""
    coordinator, _created = Group.objects.get_or_create(name=COORDINATOR)
    coordinator.permissions.set(_permissions(COORDINATOR_PERMISSIONS))
    reviewer, _created = Group.objects.get_or_create(name=CLINICAL_REVIEWER)
    app_label, codename = INTAKE_PERMISSION
    reviewer.permissions.set(
        Permission.objects.filter(content_type__app_label=app_label, codename=codename)
    )
