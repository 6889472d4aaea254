"""What each kind of audit entry says, registered by the app that writes it.

An entry stores a namespaced action code ("registration.order.paid") and structured data;
its text is written only when someone reads it, in the reader's language, by the template
the writing app registered for the code (see `registration/actions.py`).
"""

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

Values = Callable[[dict[str, Any]], dict[str, Any]]


@dataclass(frozen=True)
class Action:
    code: str
    template: Any  # a (lazy) %-format string
    values: Values


_actions: dict[str, Action] = {}


def _as_is(data: dict[str, Any]) -> dict[str, Any]:
    return data


def action_register(code: str, template, *, values: Values = _as_is) -> None:
    """Declare an action code and how its entries read: `template % values(data)`."""
    _actions[code] = Action(code=code, template=template, values=values)


def action_registered(code: str) -> bool:
    return code in _actions


def action_text(code: str, data: dict[str, Any]) -> str:
    """The entry in words; an entry whose data no longer fits its template shows its code
    and data rather than failing the page that lists it."""
    action = _actions.get(code)
    if action is None:
        return f"{code} {data}" if data else code
    try:
        return str(action.template) % action.values(data)
    except (KeyError, TypeError, ValueError):
        return f"{code} {data}"
