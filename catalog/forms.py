"""Forms of the public catalog: the calendar's filters."""

from django import forms
from django.utils.translation import gettext_lazy as _

from .certificate_items import CertificateItem
from .models import Offering
from .professions import Profession


class CalendarFilterForm(forms.Form):
    kind = forms.ChoiceField(
        label=_("Training"),
        required=False,
        choices=[("", _("All trainings")), *Offering.Kind.choices],
    )
    delivery = forms.ChoiceField(
        label=_("Delivery"),
        required=False,
        choices=[("", _("In person or online")), *Offering.Delivery.choices],
    )


class CentsField(forms.DecimalField):
    """A money amount typed in dollars ("325", "$2,400.00") and kept as integer cents."""

    default_error_messages = {
        "negative": _("A price cannot be negative."),
    }

    def __init__(self, **kwargs):
        kwargs.setdefault("decimal_places", 2)
        kwargs.setdefault("max_digits", 9)
        kwargs.setdefault("help_text", _("In US dollars."))
        super().__init__(**kwargs)

    def prepare_value(self, value):
        if isinstance(value, int):
            return f"{value / 100:.2f}"
        return value

    def to_python(self, value):
        if isinstance(value, str):
            value = value.strip().lstrip("$").replace(",", "")
        return super().to_python(value)

    def clean(self, value) -> int | None:
        amount = super().clean(value)
        if amount is None:
            return None
        if amount < 0:
            raise forms.ValidationError(self.error_messages["negative"], code="negative")
        return int(amount * 100)

    def has_changed(self, initial, data) -> bool:
        try:
            return self.clean(data) != initial
        except forms.ValidationError:
            return True


class ProfessionsField(forms.TypedMultipleChoiceField):
    """A JSON list of profession codes, edited as checkboxes."""

    def __init__(self, **kwargs):
        for key in ("max_length", "encoder", "decoder", "empty_value"):
            kwargs.pop(key, None)
        kwargs["choices"] = Profession.choices
        kwargs["widget"] = forms.CheckboxSelectMultiple
        kwargs.setdefault("required", False)
        super().__init__(**kwargs)

    def prepare_value(self, value):
        return value or []


class CertificateItemsField(forms.TypedMultipleChoiceField):
    """A credit type's required certificate items (a JSON list of codes), as checkboxes."""

    def __init__(self, **kwargs):
        for key in ("max_length", "encoder", "decoder", "empty_value"):
            kwargs.pop(key, None)
        kwargs["choices"] = CertificateItem.choices
        kwargs["widget"] = forms.CheckboxSelectMultiple
        kwargs.setdefault("required", False)
        super().__init__(**kwargs)

    def prepare_value(self, value):
        return value or []
