"""Reading Django admin pages as a coordinator sees them: the messages shown after an action
and the rows of a changelist."""

import re

from django.urls import reverse

from registration.models import Order
from tests.registration.flows import text


def shown_messages(response) -> list[str]:
    """The messages (success, warning, error) the page shows at its top."""
    return [str(message) for message in response.context["messages"]]


def rows_of(response) -> list[str]:
    """The text of each row of the admin's list."""
    table = response.content.decode().split('id="result_list"', 1)[1].split("</table>", 1)[0]
    return [text(row) for row in re.findall(r"<tr\b.*?</tr>", table, flags=re.S)[1:]]


def rows(response) -> list[str]:
    """The text of each row of the list, in order, as a reader sees it: of each drop-down
    (the roster's inline attendance), the option chosen."""
    table = response.content.decode().split('id="result_list"', 1)[1].split("</table>", 1)[0]
    table = re.sub(r"<option(?![^>]*\bselected\b)[^>]*>.*?</option>", "", table, flags=re.S)
    return [text(row) for row in re.findall(r"<tr\b.*?</tr>", table, flags=re.S)[1:]]


def order_url(order: Order, view: str = "change") -> str:
    return reverse(f"admin:registration_order_{view}", args=[order.pk])
