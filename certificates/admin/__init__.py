"""Certificates in Django admin, one module per area: the certificates themselves, course
evaluations, and the roster's certificates (its action and progress page)."""

from . import certificates, evaluations, roster  # noqa: F401
