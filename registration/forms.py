"""Registration forms: the trainee profile, CE choices, payment method, transferring to another date, bundles,
the experiential intake and its review, interest lists, contact inquiries, closing an account."""

from dataclasses import dataclass

from crispy_forms.helper import FormHelper
from crispy_forms.layout import Div, Layout, Submit
from django import forms
from django.utils.translation import gettext_lazy as _

from catalog.formatting import format_session_date

from .models import Order, TraineeProfile
from .services.submissions import submission_token


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


class TransferForm(forms.Form):
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


@dataclass(frozen=True)
class DateChoice:
    """One date in the bundle chooser, with what its script needs to mark it."""

    value: int
    id: str
    label: str
    checked: bool
    # Why the date can never be chosen (then it is disabled); empty otherwise.
    note: str
    starts: str
    ends: str
    day: str


@dataclass(frozen=True)
class DateGroup:
    field: forms.BoundField
    offering_id: int
    label: str
    requires: tuple[int, ...]
    choices: list[DateChoice]


class BundleForm(forms.Form):
    """One date per module of a bundle. `notes` (by session id) mark the dates that can
    never be chosen; `date_groups` are what the template draws."""

    def __init__(self, *args, bundle, notes: dict[int, str] | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        notes = notes or {}
        offerings = list(bundle.offerings.all())
        inside = {o.pk for o in offerings}
        self.date_groups = []
        for offering in offerings:
            name = f"offering_{offering.pk}"
            self.fields[name] = forms.TypedChoiceField(
                label=offering.display_title,
                coerce=int,
                widget=forms.RadioSelect(attrs={"class": "form-check-input"}),
                choices=[
                    (s.pk, f"{s.when}" + ("" if s.seats_left else " · " + str(_("full"))))
                    for s in offering.upcoming_sessions
                ],
                error_messages={"required": _("Choose a date for %(m)s.") % {"m": offering.label}},
            )
            field = self[name]
            value = str(field.value() or "")
            self.date_groups.append(
                DateGroup(
                    field=field,
                    offering_id=offering.pk,
                    label=str(offering.label),
                    requires=tuple(
                        sorted(p.pk for p in offering.prerequisites.all() if p.pk in inside)
                    ),
                    choices=[
                        DateChoice(
                            value=s.pk,
                            id=f"{field.auto_id}_{index}",
                            label=label,
                            checked=value == str(s.pk),
                            note=notes.get(s.pk, ""),
                            starts=s.starts_at.isoformat() if s.starts_at else "",
                            ends=s.ends_at.isoformat() if s.ends_at else "",
                            day=format_session_date(s.starts_at),
                        )
                        for index, (s, (_pk, label)) in enumerate(
                            zip(
                                offering.upcoming_sessions,
                                self.fields[name].choices,
                                strict=True,
                            )
                        )
                    ],
                )
            )

    def chosen_session_ids(self) -> list[int]:
        return [value for name, value in self.cleaned_data.items() if name.startswith("offering_")]


ANSWER_MAX_LENGTH = 2000


class IntakeForm(forms.Form):
    """The experiential intake: one field per active question, named after its id."""

    def __init__(self, *args, questions, **kwargs):
        super().__init__(*args, **kwargs)
        self.questions = questions
        for question in questions:
            self.fields[f"q{question.pk}"] = self._field(question)
        self.helper = FormHelper()
        self.helper.form_tag = False
        self.helper.add_input(Submit("submit", _("Submit my intake")))

    @staticmethod
    def _field(question) -> forms.Field:
        common = {"label": question.text, "required": question.required}
        kind = question.kind
        if kind == "yes_no":
            return forms.ChoiceField(
                choices=[("Yes", _("Yes")), ("No", _("No"))], widget=forms.RadioSelect, **common
            )
        if kind == "choice":
            return forms.ChoiceField(
                choices=[(c, c) for c in question.choice_list], widget=forms.RadioSelect, **common
            )
        if kind == "date":
            return forms.DateField(widget=forms.DateInput(attrs={"type": "date"}), **common)
        return forms.CharField(
            max_length=ANSWER_MAX_LENGTH,
            widget=forms.Textarea(attrs={"rows": 3}),
            error_messages={
                "max_length": _(
                    "Keep this answer under %(limit_value)d characters (it has %(show_value)d)."
                )
            },
            **common,
        )

    def answers(self) -> dict[int, str]:
        """Answers as text, by question id."""
        found = {}
        for question in self.questions:
            value = self.cleaned_data.get(f"q{question.pk}")
            found[question.pk] = value.isoformat() if hasattr(value, "isoformat") else value or ""
        return found


class IntakeReviewForm(forms.Form):
    decision = forms.ChoiceField(
        label=_("Decision"),
        choices=[("approved", _("Approve")), ("declined", _("Decline"))],
        widget=forms.RadioSelect,
    )
    note = forms.CharField(
        label=_("Note"), max_length=ANSWER_MAX_LENGTH, required=False, widget=forms.Textarea
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = FormHelper()
        self.helper.form_tag = False
        self.helper.add_input(Submit("review", _("Record the decision")))


class HoneypotMixin:
    """A "website" field people never see: only robots fill it in."""

    def honeypot_layout(self, *fields: str) -> Layout:
        return Layout(*fields, Div("website", css_class="visually-hidden", aria_hidden="true"))

    @property
    def is_spam(self) -> bool:
        return bool(self.data.get("website", "").strip())


class SubmissionField(forms.CharField):
    """The hidden token that makes a public form sent twice count once. Any value is taken
    as it comes: only the visitor's own browser sends it back."""

    widget = forms.HiddenInput

    def __init__(self) -> None:
        super().__init__(required=False, strip=False, initial=submission_token)
        self.validators = []


def honeypot_field() -> forms.CharField:
    return forms.CharField(
        label=_("Leave this empty"),
        required=False,
        widget=forms.TextInput(attrs={"tabindex": "-1", "autocomplete": "off"}),
    )


class InterestForm(HoneypotMixin, forms.Form):
    name = forms.CharField(
        label=_("Your name"),
        max_length=120,
        error_messages={
            "required": _("Enter your name."),
            "max_length": _("Keep your name under %(limit_value)d characters."),
        },
        widget=forms.TextInput(attrs={"autocomplete": "name"}),
    )
    email = forms.EmailField(
        label=_("Your email address"),
        error_messages={
            "required": _("Enter your email address."),
            "invalid": _("Enter an email address like name@example.com."),
        },
        widget=forms.EmailInput(attrs={"autocomplete": "email"}),
    )
    website = honeypot_field()
    submission = SubmissionField()

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = FormHelper()
        self.helper.form_tag = False
        self.helper.layout = self.honeypot_layout("name", "email", "submission")
        self.helper.add_input(Submit("join", _("Join the list")))


INQUIRY_MESSAGE_MAX_LENGTH = 5000


class InquiryForm(HoneypotMixin, forms.Form):
    name = forms.CharField(
        label=_("Your name"),
        max_length=120,
        error_messages={
            "required": _("Enter your name."),
            "max_length": _("Keep your name under %(limit_value)d characters."),
        },
        widget=forms.TextInput(attrs={"autocomplete": "name"}),
    )
    email = forms.EmailField(
        label=_("Your email address"),
        help_text=_("We reply to this address."),
        error_messages={
            "required": _("Enter your email address."),
            "invalid": _("Enter an email address like name@example.com."),
        },
        widget=forms.EmailInput(attrs={"autocomplete": "email"}),
    )
    message = forms.CharField(
        label=_("Your message"),
        max_length=INQUIRY_MESSAGE_MAX_LENGTH,
        error_messages={
            "required": _("Enter your message."),
            "max_length": _(
                "Keep your message under %(limit_value)d characters (it has %(show_value)d)."
            ),
        },
        widget=forms.Textarea(attrs={"rows": 8}),
    )
    website = honeypot_field()
    submission = SubmissionField()

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = FormHelper()
        self.helper.form_tag = False
        self.helper.layout = self.honeypot_layout("name", "email", "message", "submission")
        self.helper.add_input(Submit("send", _("Send")))


class AccountCloseForm(forms.Form):
    """Closing an account asks for the password, as changing it does."""

    password = forms.CharField(
        label=_("Your password"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
        error_messages={"required": _("Enter your password to close your account.")},
    )

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user
        self.helper = FormHelper()
        self.helper.form_tag = False
        self.helper.disable_csrf = True  # the template's form has the token

    def clean_password(self) -> str:
        password = self.cleaned_data["password"]
        if not self.user.check_password(password):
            raise forms.ValidationError(
                _("That is not your password. Enter the password you sign in with.")
            )
        return password
