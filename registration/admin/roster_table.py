"""The roster's table written in Python from plain rows (selectors.roster_table), as the
admin's own list_editable table would render it, without a form and template-rendered
widgets per row: "Show all" on a roster of 500 took seconds that way.

A bound formset (a save that came back with errors) is shown the admin's usual way, with its
errors next to the fields; tests/registration/test_roster_table.py holds the two renderings
to the same inputs and text. The rows join the page once it is rendered (splice_rows), not
through the admin's nested templates, each of which copied them.
"""

from functools import partial
from html import escape

from django.contrib.admin.utils import display_for_field
from django.contrib.admin.views.main import ChangeList
from django.forms.models import BaseModelFormSet
from django.utils import timezone
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext

from catalog.models import SiteSettings

from .. import selectors
from ..models import Enrolment, RosterEntry
from ..selectors import RosterRow


def roster_rows_of(entries, *, session) -> list[RosterRow]:
    """The rows of a roster page's entries (a queryset of roster_entries), in one query."""
    return selectors.roster_table(
        entries,
        session=session,
        grace_minutes=SiteSettings.current().attendance_grace_minutes,
        now=timezone.now(),
    )


class RosterPage(list):
    """The rows of a roster page shown (not saved), as plain values."""


class RosterChangeList(ChangeList):
    """A roster page. Shown, its entries are read as plain rows in one query, and its table
    is written from them; saved, they are the admin's usual model instances and forms."""

    def get_results(self, request):
        super().get_results(request)
        session = self.model_admin.requested_session(request)
        if request.method == "GET" and session is not None:
            self.result_list = RosterPage(roster_rows_of(self.result_list, session=session))


class RosterFormSet(BaseModelFormSet):
    """The roster's rows as a formset. Shown (its queryset a RosterPage), it builds no form
    per row: the table is written from the rows, and the management form counts them.
    Bound to a save, it is the admin's usual formset."""

    def _shown(self) -> bool:
        return not self.is_bound and isinstance(self.queryset, RosterPage)

    def initial_form_count(self):
        if self._shown():
            return len(self.queryset)
        return super().initial_form_count()

    def __getitem__(self, index):
        # A template's `formset.errors` looks up formset["errors"] first, which would build
        # every form.
        if not isinstance(index, int):
            raise TypeError(index)
        return super().__getitem__(index)

    @property
    def media(self):
        return self.empty_form.media

    def is_multipart(self):
        return self.empty_form.is_multipart()


class _Writer:
    """Writes the roster's rows for one page: what is the same on every row is worked out
    once."""

    def __init__(self, cl, *, session, editable: bool, prefix: str):
        self.editable, self.prefix = editable, prefix
        self.empty = cl.model_admin.get_empty_value_display()
        self.session_text = str(session)
        self.timezone = timezone.get_current_timezone()  # read once: a context variable
        self.select_label = gettext("Select this object for an action - {}")
        self.date_label, self.time_label = escape(gettext("Date:")), escape(gettext("Time:"))
        self.no_profile = gettext("No profile yet")
        self.attendance_only = gettext("Attendance only")
        self.counted_in_full = gettext("Counted in full:")
        form_fields = cl.model_admin.get_changelist_form(None).base_fields
        choices = [
            (str(value), escape(str(label)))
            for value, label in form_fields["attendance"].widget.choices
        ]
        # The drop-down's options with each value chosen, written once for the page.
        self.attendance_options = {
            chosen: "".join(
                f'<option value="{value}"{" selected" if value == chosen else ""}>{label}</option>'
                for value, label in choices
            )
            for chosen in [value for value, _label in choices] + [None]
        }
        self.reason_placeholder = escape(gettext("why, if in full"))
        self.attendance_aria = gettext("Attendance: %s")
        self.reason_aria = gettext("Reason to count %s in full")
        self.reason_max = Enrolment._meta.get_field("override_reason").max_length
        self.datetime_fields = {
            name: RosterEntry._meta.get_field(name)
            for name in ("signed_in_at", "signed_out_at", "attendance")
        }
        self.cells = [self._cell(c) for c in cl.list_display if c != "action_checkbox"]

    # -- cells ----------------------------------------------------------------------------

    def checkbox(self, row: RosterRow) -> str:
        name = row.profile_legal_name if row.has_profile else row.email
        label = self.select_label.format(f"{name} · {self.session_text}")
        return (
            '<td class="action-checkbox"><input type="checkbox" name="_selected_action" '
            f'value="{row.enrolment_id}" class="action-select" aria-label="{escape(label)}"></td>'
        )

    def name(self, row: RosterRow) -> str:
        credentials = f", {escape(row.credentials)}" if row.credentials else ""
        return f"{escape(row.legal_name)}{credentials}<br><small>{escape(row.email)}</small>"

    def license(self, row: RosterRow) -> str:
        if not row.has_profile:
            return escape(self.no_profile)
        number = " · ".join(p for p in (row.license_number, row.license_state) if p)
        return f"{escape(row.profession_short)}<br><small>{escape(number)}</small>"

    def ce_credit_type(self, row: RosterRow) -> str:
        return escape(row.credit_type or self.attendance_only)

    def payment(self, row: RosterRow) -> str:
        if row.held:
            return f'<strong class="roster-unpaid">{escape(row.payment)}</strong>'
        return escape(row.payment)

    def flags(self, row: RosterRow) -> str:
        labels = " ".join(
            f'<strong class="roster-flag" title="{escape(reason)}">{escape(label)}</strong>'
            for reason, label in zip(row.flags, row.flag_labels, strict=True)
        )
        if row.override_reason:
            return (
                f'{labels}<br><small class="roster-override">{escape(self.counted_in_full)} '
                f"{escape(row.override_reason)}</small>"
            )
        return labels

    def _field_id(self, index: int, name: str) -> str:
        return f"{self.prefix}-{index}-{name}"

    def time_input(self, index: int, row: RosterRow, *, name: str) -> str:
        """RosterTimeWidget's date and time inputs (their values are digits: nothing to
        escape)."""
        field, value = self._field_id(index, name), getattr(row, name)
        date = time = ""
        if value is not None:
            local = value.astimezone(self.timezone)
            date = f' value="{local.year:04d}-{local.month:02d}-{local.day:02d}"'
            time = f' value="{local.hour:02d}:{local.minute:02d}:{local.second:02d}"'
        return (
            f'<p class="datetime"><label for="id_{field}_0" class="roster-field-label">'
            f'{self.date_label}</label> <input class="vDateField" id="id_{field}_0" '
            f'name="{field}_0" size="10" type="text"{date}><br>'
            f'<label for="id_{field}_1" class="roster-field-label">{self.time_label}</label> '
            f'<input class="vTimeField" id="id_{field}_1" name="{field}_1" size="8" '
            f'type="text"{time}></p>'
        )

    def attendance_select(self, index: int, row: RosterRow) -> str:
        field = self._field_id(index, "attendance")
        # A value the choices do not know (None's): no option chosen, as Django's Select.
        options = self.attendance_options.get(row.attendance_value, self.attendance_options[None])
        aria = escape(self.attendance_aria % row.legal_name)
        return (
            f'<select name="{field}" class="roster-attendance" aria-label="{aria}" '
            f'id="id_{field}">{options}</select>'
        )

    def reason_input(self, index: int, row: RosterRow) -> str | None:
        """The box for the reason to count the row in full: on flagged rows and rows counted
        in full with one (RosterRowForm decides the same)."""
        if not (row.override_reason or row.flags):
            return None
        field = self._field_id(index, "override_reason")
        aria = escape(self.reason_aria % row.legal_name)
        value = f' value="{escape(row.override_reason)}"' if row.override_reason else ""
        return (
            f'<input aria-label="{aria}" class="roster-reason" id="id_{field}" '
            f'maxlength="{self.reason_max}" name="{field}" '
            f'placeholder="{self.reason_placeholder}" type="text"{value}>'
        )

    # -- rows -----------------------------------------------------------------------------

    def _cell(self, column: str):
        """How the column's cell is written: (its opening tag, a function of (index, row))."""
        if column in ("signed_in_at", "signed_out_at"):
            if self.editable:
                return f'<td class="field-{column} nowrap">', partial(self.time_input, name=column)
            field = self.datetime_fields[column]
            return f'<td class="field-{column} nowrap">', lambda index, row: escape(
                str(display_for_field(getattr(row, column), field, self.empty))
            )
        if column == "attendance":
            if self.editable:
                return '<td class="field-attendance">', self.attendance_select
            return '<td class="field-attendance">', lambda index, row: escape(row.attendance)
        if column == "override_reason":
            return (
                '<td class="field-override_reason">',
                lambda index, row: (
                    (self.reason_input(index, row) if self.editable else None)
                    or escape(row.override_reason or self.empty)
                ),
            )
        write = getattr(self, column)
        return f'<td class="field-{column}">', lambda index, row: write(row) or self.empty

    def row(self, index: int, row: RosterRow) -> str:
        cells = [f"{opening}{write(index, row)}</td>" for opening, write in self.cells]
        return f"<tr>{self.checkbox(row)}{''.join(cells)}</tr>"

    def hidden(self, index: int, row: RosterRow) -> str:
        field = self._field_id(index, "id")
        return f'<input type="hidden" name="{field}" value="{row.enrolment_id}" id="id_{field}">'


def roster_table_html(cl, *, session) -> tuple[SafeString, SafeString] | None:
    """The body of the roster's table and its hidden inputs; None when the page shows a
    bound formset (a save with errors), which the admin renders itself."""
    rows, formset = cl.result_list, cl.formset
    if not isinstance(rows, RosterPage) or (formset is not None and formset.is_bound):
        return None
    prefix = formset.prefix if formset is not None else "form"
    writer = _Writer(cl, session=session, editable=formset is not None, prefix=prefix)
    body = "\n".join(writer.row(index, row) for index, row in enumerate(rows))
    hidden = (
        "".join(writer.hidden(index, row) for index, row in enumerate(rows))
        if formset is not None
        else ""
    )
    return mark_safe(body), mark_safe(hidden)


def splice_rows(response) -> None:
    """Put the table's rows in the rendered roster page, where roster_result_list left its
    marker (a post-render callback of the changelist's response)."""
    rows = getattr((response.context_data or {}).get("cl"), "roster_rows", None)
    if rows is not None:
        marker, body = rows
        response.content = response.content.replace(marker.encode(), body.encode(), 1)
