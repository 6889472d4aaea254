"""The items a CE certificate can be required to carry (CE-RULES.md, "What each certificate must
show"). Each credit type lists, as data, the ones its certificates must carry; a certificate
missing any of them is not issued.

The provider's items are the credit type's own fields, filled in by staff: what they lack
can be told before anyone issues (the admin dashboard, `manage.py check`). The trainee's
and the course's items are read from the certificate being issued.
"""

from django.db import models
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _


class CertificateItem(models.TextChoices):
    PROVIDER_NAME = "provider_name", _("provider name")
    PROVIDER_ADDRESS = "provider_address", _("provider address")
    PROVIDER_NUMBER = "provider_number", _("provider number")
    STATEMENT = "statement", _("sponsor statement")
    RETENTION_STATEMENT = "retention_statement", _("retention sentence")
    SIGNATURE = "signature", _("signature")
    SIGNATORY = "signatory", _("signatory")
    LICENSEE_NAME = "licensee_name", _("licensee name")
    LICENSE_TYPE = "license_type", _("license type")
    LICENSE_NUMBER = "license_number", _("license number")
    COURSE_TITLE = "course_title", _("course title")
    DATE = "date", _("date")
    CREDITS = "credits", _("credits")  # named on a certificate by the credit type's unit


# The provider's items: the credit type field that holds each.
PROVIDER_FIELDS = {
    CertificateItem.PROVIDER_NAME: "provider_name",
    CertificateItem.PROVIDER_ADDRESS: "provider_address",
    CertificateItem.PROVIDER_NUMBER: "provider_number",
    CertificateItem.STATEMENT: "statement",
    CertificateItem.RETENTION_STATEMENT: "retention_statement",
    CertificateItem.SIGNATURE: "signature",
    CertificateItem.SIGNATORY: "signatory",
}

# What every CE certificate carries unless its credit type says otherwise (CE-RULES: the
# participant, the course, its date, the credits, and who stands behind them).
DEFAULT_ITEMS = [
    CertificateItem.PROVIDER_NAME.value,
    CertificateItem.STATEMENT.value,
    CertificateItem.LICENSEE_NAME.value,
    CertificateItem.COURSE_TITLE.value,
    CertificateItem.DATE.value,
    CertificateItem.CREDITS.value,
]


def default_items() -> list[str]:
    return list(DEFAULT_ITEMS)


def item_label(item: str, *, unit: str = "") -> str:
    """How a refusal names an item: "provider address"; the credits by their unit
    ("contact hours")."""
    if item == CertificateItem.CREDITS and unit:
        return unit
    return str(CertificateItem(item).label)


def items_missing_text(items, *, unit: str = "") -> str:
    """ "provider address missing, signature missing"."""
    return ", ".join(
        gettext("%(item)s missing") % {"item": item_label(item, unit=unit)} for item in items
    )
