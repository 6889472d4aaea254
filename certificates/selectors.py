"""Reads for certificates: a certificate by its verification code, and a trainee's CE record."""

from django.db.models import QuerySet

from .models import CODE_ALPHABET, Certificate


def normalize_code(code: str) -> str:
    """A verification code as people type it (lower case, spaces, dashes) in its stored form."""
    return "".join(c for c in code.upper() if c.isalnum())


def code_is_well_formed(code: str) -> bool:
    return 0 < len(code) <= 32 and all(c in CODE_ALPHABET for c in code)


def certificate_by_code(*, code: str) -> Certificate | None:
    code = normalize_code(code)
    if not code_is_well_formed(code):
        return None
    return (
        Certificate.objects.select_related("credit_type", "superseded_by").filter(code=code).first()
    )


def current_version(certificate: Certificate) -> Certificate:
    """The latest version of a superseded certificate (itself if it is not superseded)."""
    seen = {certificate.pk}
    while True:
        try:
            newer = certificate.superseded_by
        except Certificate.DoesNotExist:
            return certificate
        if newer.pk in seen:
            return certificate
        seen.add(newer.pk)
        certificate = newer


def certificate_for_download(*, code: str, user) -> Certificate | None:
    """The certificate if this user may download it: the trainee their own valid ones, staff
    with the view permission any of them; None for everyone else."""
    certificate = certificate_by_code(code=code)
    if certificate is None or not user.is_authenticated:
        return None
    if user.has_perm("certificates.view_certificate"):
        return certificate
    if certificate.trainee_id == user.pk and certificate.status == Certificate.Status.VALID:
        return certificate
    return None


def trainee_ce_certificates(*, trainee) -> QuerySet[Certificate]:
    """The trainee's valid CE certificates, oldest session first: their transcript."""
    return (
        Certificate.objects.filter(
            trainee=trainee, kind=Certificate.Kind.CE, status=Certificate.Status.VALID
        )
        .select_related("credit_type", "enrolment__session")
        .order_by("enrolment__session__starts_at", "pk")
    )


def transcript_name(*, certificates: list[Certificate], fallback: str) -> str:
    """The name a CE transcript is headed with: the one the latest certificate version
    carries (a correction included), not the profile's, which the trainee may have changed
    since; `fallback` when there is no certificate yet."""
    if not certificates:
        return fallback
    return max(certificates, key=lambda c: (c.issued_at, c.pk)).display_name


def trainee_has_ce_certificates(*, trainee) -> bool:
    return trainee_ce_certificates(trainee=trainee).exists()


def valid_certificates() -> QuerySet[Certificate]:
    """For prefetching on enrolments: the certificates a trainee can download."""
    return (
        Certificate.objects.filter(status=Certificate.Status.VALID)
        .select_related("credit_type")
        .order_by("kind", "pk")
    )
