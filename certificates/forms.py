"""Certificate forms: the trainee's course evaluation."""

import re

from django import forms
from django.utils.translation import gettext_lazy as _

from .models import Rating
from .services.evaluations import TEXT_MAX_LENGTH, EvaluationAnswers

# A tag, not a lone "<" as in "a < b" or "<3".
HTML_TAG = re.compile(r"<[a-zA-Z/!?][^>]*>")

RATING_ERRORS = {
    "required": _("Choose a rating from 1 (poor) to 5 (excellent)."),
    "invalid_choice": _("Choose a rating from 1 (poor) to 5 (excellent)."),
}


def _rating_field(label: str) -> forms.TypedChoiceField:
    return forms.TypedChoiceField(
        label=label,
        coerce=int,
        choices=Rating.choices,
        widget=forms.RadioSelect(attrs={"class": "form-check-input"}),
        error_messages=RATING_ERRORS,
    )


def _text_field(label: str) -> forms.CharField:
    return forms.CharField(
        label=label,
        required=False,
        max_length=TEXT_MAX_LENGTH,
        help_text=_("Optional. Plain text, up to %(max)d characters.") % {"max": TEXT_MAX_LENGTH},
        widget=forms.Textarea(attrs={"rows": 5, "class": "form-control"}),
        error_messages={
            "max_length": _("Write at most %(limit_value)d characters (this has %(show_value)d)."),
        },
    )


class EvaluationForm(forms.Form):
    """One 1–5 rating per learning objective and per instructor, an overall rating, and
    what was useful and what to improve."""

    def __init__(self, *args, objectives, instructors, **kwargs):
        super().__init__(*args, **kwargs)
        self._objectives = {f"objective_{o.pk}": o.pk for o in objectives}
        self._instructors = {f"instructor_{i.pk}": i.pk for i in instructors}
        for name, objective in zip(self._objectives, objectives, strict=True):
            self.fields[name] = _rating_field(objective.text)
        for name, instructor in zip(self._instructors, instructors, strict=True):
            self.fields[name] = _rating_field(instructor.display_name)
        self.fields["overall_rating"] = _rating_field(_("Overall, how would you rate this course?"))
        self.fields["useful"] = _text_field(_("What was most useful to you?"))
        self.fields["improve"] = _text_field(_("What should we improve?"))

    def _clean_text(self, name: str) -> str:
        value = self.cleaned_data[name]
        if HTML_TAG.search(value):
            raise forms.ValidationError(_("Please write plain text, without HTML tags."))
        return value

    def clean_useful(self) -> str:
        return self._clean_text("useful")

    def clean_improve(self) -> str:
        return self._clean_text("improve")

    def full_clean(self):
        super().full_clean()
        for name in self.errors:
            if name in self.fields and isinstance(self.fields[name].widget, forms.Textarea):
                self.fields[name].widget.attrs["class"] += " is-invalid"

    @property
    def objective_fields(self) -> list[forms.BoundField]:
        return [self[name] for name in self._objectives]

    @property
    def instructor_fields(self) -> list[forms.BoundField]:
        return [self[name] for name in self._instructors]

    def answers(self) -> EvaluationAnswers:
        data = self.cleaned_data
        return EvaluationAnswers(
            overall_rating=data["overall_rating"],
            objective_ratings={pk: data[name] for name, pk in self._objectives.items()},
            instructor_ratings={pk: data[name] for name, pk in self._instructors.items()},
            useful=data["useful"],
            improve=data["improve"],
        )
