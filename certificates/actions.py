"""What certificates write to the audit log (`audit`), and how each entry reads. The
entries are about the certificate's order, so that the order's log tells its whole story;
certificates write them through the audit service, never into registration's tables."""

from typing import Any

from django.utils.translation import gettext_lazy as _

from audit.registry import action_register

from .models import Certificate


def certificate_data(certificate: Certificate) -> dict[str, Any]:
    """What an entry keeps of a certificate."""
    return {
        "kind": certificate.kind,
        "credit": certificate.credit_type.name if certificate.credit_type_id else "",
        "code": certificate.code,
    }


def _named(data: dict[str, Any]) -> dict[str, Any]:
    return {**data, "name": Certificate.name_of(data["kind"], data["credit"])}


ACTIONS = {
    "certificates.certificate.issued": (
        _("%(name)s issued for %(session)s (code %(code)s)."),
        _named,
    ),
    "certificates.certificate.reissued": (
        _(
            "%(name)s reissued as version %(version)d for %(legal_name)s (code %(code)s); "
            "version %(old_version)d (code %(old_code)s) is superseded."
        ),
        _named,
    ),
    "certificates.certificate.revoked": (
        _("%(name)s (code %(code)s) revoked: %(reason)s"),
        _named,
    ),
}


def actions_register() -> None:
    for code, (template, values) in ACTIONS.items():
        action_register(code, template, values=values)
