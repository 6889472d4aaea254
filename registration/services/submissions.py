"""Public forms sent twice are taken once: a browser retrying a POST that timed out, or a
double click, gets the same answer and creates nothing new."""

import hashlib
import json
import secrets
from datetime import datetime

from django.db import IntegrityError, transaction

from ..models import FormSubmission


def submission_token() -> str:
    """The token a form carries from the moment it is shown."""
    return secrets.token_urlsafe(16)


def submission_record(*, form: str, token: str, values: dict, now: datetime) -> bool:
    """Record, in the caller's transaction, that `form` was sent with this token and these
    values; False if it already was, and nothing more should be done. A form sent without a
    token (not through the page) is always new. A second submission of the same form waits
    for the first one's transaction, and is new only if that one was rolled back."""
    if not token:
        return True
    digest = hashlib.sha256(
        json.dumps([form, token, values], sort_keys=True, default=str).encode()
    ).hexdigest()
    try:
        with transaction.atomic():
            FormSubmission.objects.create(digest=digest, created_at=now)
    except IntegrityError:
        return False
    return True
