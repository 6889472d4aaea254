"""What a change list may filter and sort on: only what its admin declares.

Django's admin filters a change list by any field named in its URL, shown or not; a review
note could be read back one `?review_note__regex=` at a time. Here a query parameter is a
lookup only if the admin offers it: a parameter of one of its list filters, a step of its
date hierarchy (a real year, month or day), one of its `allowed_lookups` (the links between
admin pages), or the fixed lookups of a raw-id popup. Sorting (`?o=`) takes only the
columns in `get_sortable_by`; searching (`?q=`) only the admin's `get_search_fields`.
Anything else, like a malformed lookup, gets Django's answer to an invalid lookup: a
redirect to the unfiltered list at `?e=1`, whatever the value, so nothing can be learnt.

`polaris.admin.PolarisAdminSite` gives every admin registered on the site this behaviour,
Django's and allauth's included, so a new admin is safe without doing anything.
"""

from datetime import MAXYEAR, MINYEAR
from functools import cache

from django.contrib.admin import widgets
from django.contrib.admin.exceptions import DisallowedModelAdminLookup
from django.contrib.admin.filters import FieldListFilter
from django.contrib.admin.options import IncorrectLookupParameters
from django.contrib.admin.utils import get_fields_from_path
from django.contrib.admin.views.main import ORDER_VAR
from django.db.models import Field

# The steps of a date hierarchy and the values Django can turn into a date range (the year
# after must exist too).
DATE_STEPS = {"year": (MINYEAR, MAXYEAR - 1), "month": (1, 12), "day": (1, 31)}


def list_filter_parameters(model_admin, request) -> set[str]:
    """The query parameters the admin's list filters take, asked of the filters themselves
    (built as Django's ChangeList builds them)."""
    names: set[str] = set()
    for item in model_admin.get_list_filter(request):
        if callable(item):
            spec = item(request, {}, model_admin.model, model_admin)
        else:
            path, filter_class = item if isinstance(item, list | tuple) else (item, None)
            field = path if isinstance(path, Field) else None
            if field is None:
                field = get_fields_from_path(model_admin.model, path)[-1]
            spec = (filter_class or FieldListFilter.create)(
                field,
                request,
                {},
                model_admin.model,
                model_admin,
                field_path=None if isinstance(path, Field) else path,
            )
        names.update(spec.expected_parameters())
    return names


def _date_step_valid(value: str, step: str) -> bool:
    low, high = DATE_STEPS[step]
    return value.isascii() and value.isdigit() and low <= int(value) <= high


class AllowListedChangeList:
    """A ChangeList that refuses a lookup as an invalid one, and sorts by sortable columns."""

    def get_filters(self, request):
        try:
            return super().get_filters(request)
        except DisallowedModelAdminLookup as refused:
            raise IncorrectLookupParameters(refused) from refused

    def get_ordering(self, request, queryset):
        if self.params.get(ORDER_VAR):
            self.params[ORDER_VAR] = ".".join(
                part for part in self.params[ORDER_VAR].split(".") if self._sortable(part)
            )
        return super().get_ordering(request, queryset)

    def _sortable(self, part: str) -> bool:
        _descending, _sign, index = part.rpartition("-")
        if not (index.isascii() and index.isdigit()) or int(index) >= len(self.list_display):
            return False
        return self.list_display[int(index)] in self.sortable_by


@cache
def allow_listed(changelist_class: type) -> type:
    if issubclass(changelist_class, AllowListedChangeList):
        return changelist_class
    return type(changelist_class.__name__, (AllowListedChangeList, changelist_class), {})


class AllowListedLookups:
    """A ModelAdmin mixin: lookups only on what the admin declares (see the module).

    An admin names further lookups in `allowed_lookups`, as ("session__id__exact",): the
    parameters of links from other admin pages. (Read with getattr: the site puts this mixin
    first among an admin's bases, where a default here would hide the admin's own.)"""

    def lookup_allowed(self, lookup, value, request=None):
        if lookup in getattr(self, "allowed_lookups", ()) or self._raw_id_lookup(lookup, value):
            return True
        hierarchy = self.date_hierarchy
        if hierarchy and lookup.startswith(f"{hierarchy}__"):
            step = lookup.removeprefix(f"{hierarchy}__")
            if step in DATE_STEPS:
                return _date_step_valid(value, step)
        return request is not None and lookup in self._filter_parameters(request)

    def get_changelist(self, request, **kwargs):
        return allow_listed(super().get_changelist(request, **kwargs))

    def _filter_parameters(self, request) -> set[str]:
        # Asked once per request: a filter may read the database to list its choices.
        known = request.__dict__.setdefault("_list_filter_parameters", {})
        if self.opts.label not in known:
            known[self.opts.label] = list_filter_parameters(self, request)
        return known[self.opts.label]

    def _raw_id_lookup(self, lookup, value) -> bool:
        """The fixed `limit_choices_to` of a raw-id popup choosing one of these rows."""
        for fk_lookup in self.model._meta.related_fkey_lookups:
            if callable(fk_lookup):
                fk_lookup = fk_lookup()
            if (lookup, value) in widgets.url_params_from_lookup_dict(fk_lookup).items():
                return True
        return False
