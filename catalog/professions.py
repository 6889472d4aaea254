"""The professions / license types a trainee can hold, shared by catalog and registration."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class Profession(models.TextChoices):
    PSYCHOLOGIST = "psychologist", _("Psychologist (PhD, PsyD)")
    LMFT = "lmft", _("Licensed Marriage and Family Therapist (LMFT)")
    LCSW = "lcsw", _("Licensed Clinical Social Worker (LCSW)")
    LPCC = "lpcc", _("Licensed Professional Clinical Counselor (LPCC)")
    LEP = "lep", _("Licensed Educational Psychologist (LEP)")
    RN = "rn", _("Registered Nurse (RN)")
    NP = "np", _("Nurse Practitioner (NP)")
    MD = "md", _("Physician (MD)")
    DO = "do", _("Physician (DO)")
    PA = "pa", _("Physician Assistant (PA)")
    OTHER = "other", _("Other")


# Prescribers and other medical providers (the Rainfall Medical Module's audience).
MEDICAL_PROVIDERS = frozenset(
    {Profession.MD, Profession.DO, Profession.NP, Profession.PA, Profession.RN}
)


# The letters a license puts after a name, for professions that have one set of them; a
# psychologist's (PhD or PsyD) comes from the credentials the trainee gives.
PROFESSION_CREDENTIALS = {
    Profession.LMFT: "LMFT",
    Profession.LCSW: "LCSW",
    Profession.LPCC: "LPCC",
    Profession.LEP: "LEP",
    Profession.RN: "RN",
    Profession.NP: "NP",
    Profession.MD: "MD",
    Profession.DO: "DO",
    Profession.PA: "PA",
}


def credentials_after_name(*, credentials: str, profession: str) -> str:
    """What follows the name on a certificate ("Dana Cho, PsyD"): the credentials the
    trainee gave, else the letters of their license."""
    given = " ".join(credentials.split()).strip(" ,")
    if given:
        return given
    return PROFESSION_CREDENTIALS.get(profession, "")


def profession_labels(codes: list[str]) -> list[str]:
    """Human labels for stored profession codes, unknown codes kept as they are."""
    labels = dict(Profession.choices)
    return [str(labels.get(code, code)) for code in codes]
