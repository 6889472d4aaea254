"""The staff roles, kept in step with the code after every migrate (idempotent).

- Coordinator: runs the catalog, rosters, attendance, orders, refunds, transfers, waitlists
  and certificates, and watches the outbox; never sees intake medical details nor site
  settings.
- Clinical reviewer: the one permission that shows intake medical details, and reading the
  intake access log (who was shown which intakes), as superusers do; nobody changes the log.
Site settings stay with superusers. Everyone who holds a role, can open the admin or see
intake answers signs in with two factors (registration.middleware).
"""

from django.contrib.auth.models import Group, Permission
from django.db.models import Q

COORDINATOR = "Coordinator"
CLINICAL_REVIEWER = "Clinical reviewer"
STAFF_ROLES = (COORDINATOR, CLINICAL_REVIEWER)
INTAKE_PERMISSION = ("registration", "view_intake_answers")
INTAKE_ACCESS_LOG_PERMISSION = ("registration", "view_intakeaccesslog")

# app label → model → actions
COORDINATOR_PERMISSIONS = {
    "audit": {"logentry": ("view",)},
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


def needs_second_factor(user) -> bool:
    """Superusers, staff (who can open the admin), coordinators and clinical reviewers, and
    anyone allowed to read intake answers: they can see health data or refund money, so a
    password alone must not be enough."""
    if not user.is_authenticated or not user.is_active:
        return False
    if user.is_superuser or user.is_staff:
        return True
    app_label, codename = INTAKE_PERMISSION
    return user.groups.filter(name__in=STAFF_ROLES).exists() or user.has_perm(
        f"{app_label}.{codename}"
    )


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
    reviewer.permissions.set(
        Permission.objects.filter(
            content_type__app_label="registration",
            codename__in=[INTAKE_PERMISSION[1], INTAKE_ACCESS_LOG_PERMISSION[1]],
        )
    )
