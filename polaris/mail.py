"""Sending many emails from one worker: one connection to the mail server per thread, kept
open between messages instead of a new connection (and handshake) for each."""

import contextlib
import smtplib
import threading
import time

from django.conf import settings
from django.core.mail import EmailMessage, get_connection

# Mail servers drop idle clients (RFC 5321 lets them after 5 minutes; many sooner): a
# connection idle longer than this is replaced instead of risking a dropped one.
IDLE_SECONDS = 20.0

_per_thread = threading.local()


def _backend_key() -> tuple:
    return (
        settings.EMAIL_BACKEND,
        getattr(settings, "EMAIL_HOST", None),
        getattr(settings, "EMAIL_PORT", None),
        getattr(settings, "EMAIL_HOST_USER", None),
    )


def _close(connection) -> None:
    with contextlib.suppress(Exception):  # closing what broke must not hide why it broke
        connection.close()


def _connect(key: tuple):
    connection = get_connection(fail_silently=False)
    connection.open()
    _per_thread.connection, _per_thread.key = connection, key
    return connection


def send_reusing_connection(message: EmailMessage) -> None:
    """Send the message over this thread's open connection (opening one when there is none,
    it has been idle too long, or the email settings changed). A kept connection the server
    has dropped meanwhile (a restart) is replaced at once, and the message sent over the new
    one. A failed send drops the connection, so the next attempt starts afresh; the error
    is the caller's to handle."""
    key = _backend_key()
    connection = getattr(_per_thread, "connection", None)
    if connection is not None and (
        _per_thread.key != key or time.monotonic() - _per_thread.used_at > IDLE_SECONDS
    ):
        _close(connection)
        connection = None
    try:
        if connection is None:
            connection = _connect(key)
            connection.send_messages([message])
        else:
            try:
                connection.send_messages([message])
            except smtplib.SMTPServerDisconnected:
                # The server closed the kept connection before taking the message.
                _close(connection)
                connection = _connect(key)
                connection.send_messages([message])
    except Exception:
        if connection is not None:
            _close(connection)
        _per_thread.connection = None
        raise
    _per_thread.used_at = time.monotonic()
