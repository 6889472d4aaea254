"""The roster's table in the admin, written by registration.admin.roster_table."""

import secrets

from django import template
from django.contrib.admin.templatetags.admin_list import result_headers
from django.template.loader import render_to_string
from django.utils.safestring import mark_safe

from registration.admin.roster_table import roster_table_html

register = template.Library()


@register.simple_tag
def roster_result_list(cl, session) -> str:
    """The table of the roster's page; empty when the admin renders it (a bound formset)."""
    table = roster_table_html(cl, session=session)
    if table is None:
        return ""
    body, hidden = table
    # The rows (a megabyte for 500) join the page once it is rendered (RosterAdmin's
    # splice_rows): carried through the admin's nested templates, they were copied at
    # every level.
    marker = f"<!--roster-rows-{secrets.token_hex(8)}-->"
    cl.roster_rows = (marker, body)
    headers = list(result_headers(cl))
    return render_to_string(
        "admin/registration/roster/results.html",
        {
            "result_headers": headers,
            "num_sorted_fields": sum(1 for h in headers if h["sortable"] and h["sorted"]),
            "body": mark_safe(marker),
            "hidden": hidden,
        },
    )
