"""Certificates in Django admin, one module per area: the certificates themselves, course
evaluations, the roster's certificates (its action and progress page), and the sessions
list's count of certificates issued."""

from . import certificates, evaluations, roster, sessions  # noqa: F401
