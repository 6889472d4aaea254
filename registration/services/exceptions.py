"""The refusals the registration services raise and their callers catch (views, the admin,
other services): kept below every service module, so that one can catch another's refusal
without importing it.
"""

from django.utils.translation import gettext as _

from ..rules import CartCheck


class OrderRefused(Exception):
    """The cart breaks a rule; `check` says which, item by item."""

    def __init__(self, check: CartCheck | None = None, message: str = "") -> None:
        self.check = check
        self.message = message or self._reasons(check)
        super().__init__(self.message)

    @staticmethod
    def _reasons(check: CartCheck | None) -> str:
        """What was refused, said when it was refused: by the time the cart is shown again
        a full session may have a seat again, and nothing next to the item would say why."""
        found = (
            [*check.general_refusals, *(p for s in check.problems for p in check.refusals(s))]
            if check
            else []
        )
        reasons = list(dict.fromkeys(problem.message for problem in found))
        if not reasons:
            return _("Some items in your cart cannot be registered yet.")
        return _("Some items in your cart cannot be registered yet: %(reasons)s") % {
            "reasons": " ".join(reasons)
        }


class ProfileRequired(OrderRefused):
    """Every registration earns a certificate, which carries the trainee's legal name and
    license: they are asked for before payment, not after the training."""

    def __init__(self) -> None:
        super().__init__(
            message=_(
                "Before you pay: your certificates need your legal name and license (type, "
                "number and issuing state). Complete your profile, then place your order."
            )
        )


class OrderStateError(Exception):
    """The order is not in a state that allows the operation (e.g. already paid)."""


class EnrolmentError(Exception):
    """A trainee's change to their registration (cancel, transfer) is refused."""


class SessionFull(EnrolmentError):
    """A transfer is refused because the date has no free seat (`session`, locked)."""

    def __init__(self, message: str, *, session) -> None:
        super().__init__(message)
        self.session = session


class WaitlistError(Exception):
    """Joining, leaving or taking an offer from a waitlist is refused."""


class StaffActionRefused(Exception):
    """The operation would break a rule or the data changed meanwhile; nothing was changed."""
