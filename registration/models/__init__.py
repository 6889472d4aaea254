"""Registration's models, one module per sub-domain; all importable from here, as
`from registration.models import Order` (and as the migrations name them)."""

from .accounts import AccountClosure, TraineeProfile
from .enrolments import Enrolment, PrerequisiteWaiver, WaitlistEntry
from .gated import (
    Intake,
    IntakeAccessLog,
    IntakeAccessLogIntake,
    IntakeAnswer,
    IntakeQuestion,
    InterestNotification,
    InterestSignup,
    Invitation,
    new_token,
)
from .inquiries import Inquiry, InquiryRecipient, InquiryTopic
from .orders import (
    CODE_ALPHABET,
    CartItem,
    Order,
    OrderLine,
    Payment,
    Refund,
    StripeEvent,
    new_order_code,
)
from .outbox import AddressEmail, FormSubmission, OutboundEmail
from .roster import RosterEntry, RosterMessage, SignInSheet

__all__ = [
    "CODE_ALPHABET",
    "AccountClosure",
    "AddressEmail",
    "CartItem",
    "Enrolment",
    "FormSubmission",
    "Inquiry",
    "InquiryRecipient",
    "InquiryTopic",
    "Intake",
    "IntakeAccessLog",
    "IntakeAccessLogIntake",
    "IntakeAnswer",
    "IntakeQuestion",
    "InterestNotification",
    "InterestSignup",
    "Invitation",
    "Order",
    "OrderLine",
    "OutboundEmail",
    "Payment",
    "PrerequisiteWaiver",
    "Refund",
    "RosterEntry",
    "RosterMessage",
    "SignInSheet",
    "StripeEvent",
    "TraineeProfile",
    "WaitlistEntry",
    "new_order_code",
    "new_token",
]
