"""Registration forms: the trainee profile, CE choices, payment method, moving a date, bundles."""

from crispy_forms.helper import FormHelper
from crispy_forms.layout import Submit
from django import forms
from django.utils.translation import gettext_lazy as _

from .models import Order, TraineeProfile


class ProfileForm(forms.ModelForm):
    class Meta:
        model = TraineeProfile
        fields = ("legal_name", "credentials", "profession", "license_number", "license_state")
        widgets = {
            "legal_name": forms.TextInput(attrs={"autocomplete": "name"}),
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["profession"].choices = [
            ("", _("Choose…")),
            *self.fields["profession"].choices[1:],
        ]
        self.fields["license_state"].choices = [
            ("", _("Choose…")),
            *self.fields["license_state"].choices[1:],
        ]
        self.fields["license_number"].help_text = _(
            "Needed on CE certificates. Leave empty only if you hold no license."
        )
        self.helper = FormHelper()
        self.helper.form_tag = False
        self.helper.add_input(Submit("save", _("Save profile")))

    def clean(self):
        data = super().clean()
        licensed = data.get("profession") and data.get("profession") != "other"
        if licensed and data.get("license_number") and not data.get("license_state"):
            self.add_error("license_state", _("Choose the state that issued your license."))
        if licensed and data.get("license_state") and not data.get("license_number"):
            self.add_error("license_number", _("Enter your license number."))
        return data


class CheckoutForm(forms.Form):
    payment_method = forms.ChoiceField(
        label=_("How will you pay?"),
        widget=forms.RadioSelect(attrs={"class": "form-check-input"}),
    )

    def __init__(self, *args, stripe_enabled: bool, staff: bool = False, **kwargs):
        """Trainees pay by card when Stripe is configured, by invoice or check otherwise;
        staff may always record an order to be paid by invoice or check."""
        super().__init__(*args, **kwargs)
        choices = []
        if stripe_enabled:
            choices.append((Order.Method.STRIPE, _("Card, on Stripe's secure payment page")))
        if staff or not stripe_enabled:
            choices.append(
                (
                    Order.Method.OFFLINE,
                    _("Invoice or check: your seats are held while we wait for payment"),
                )
            )
        self.fields["payment_method"].choices = choices
        self.fields["payment_method"].initial = choices[0][0]


class MoveForm(forms.Form):
    session = forms.TypedChoiceField(
        label=_("New date"),
        coerce=int,
        widget=forms.RadioSelect(attrs={"class": "form-check-input"}),
    )

    def __init__(self, *args, sessions, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["session"].choices = [
            (
                s.pk,
                f"{s.when} · "
                + (_("%(n)s seats left") % {"n": s.seats_left} if s.seats_left else _("full")),
            )
            for s in sessions
        ]


class BundleForm(forms.Form):
    """One date per module of a bundle."""

    def __init__(self, *args, bundle, **kwargs):
        super().__init__(*args, **kwargs)
        for offering in bundle.offerings.all():
            self.fields[f"offering_{offering.pk}"] = forms.TypedChoiceField(
                label=offering.display_title,
                coerce=int,
                widget=forms.RadioSelect(attrs={"class": "form-check-input"}),
                choices=[
                    (s.pk, f"{s.when}" + ("" if s.seats_left else " · " + str(_("full"))))
                    for s in offering.upcoming_sessions
                ],
                error_messages={"required": _("Choose a date for %(m)s.") % {"m": offering.label}},
            )

    def chosen_session_ids(self) -> list[int]:
        return [value for name, value in self.cleaned_data.items() if name.startswith("offering_")]
