"""Real SMTP servers for the tests (aiosmtpd): one that records what it accepts and can hold
a delivery mid-session, one that refuses every mailbox; and pointing Django's mail at one.
The `smtp_server` fixture (tests/conftest.py) starts a RecordingHandler on a free port."""

import asyncio
import threading


class RecordingHandler:
    """An aiosmtpd handler keeping every message accepted; a test awaits them with
    wait_messages. With `hold` set, the first session waits at MAIL FROM until `release` is
    set, and that session delivers nothing (await it reaching there with `holding.wait`)."""

    def __init__(self):
        self.messages: list[bytes] = []
        self.connections: list[tuple] = []  # the client's address of each message's session
        self.hold = False
        self.holding = threading.Event()
        self.release = threading.Event()
        self._held_sessions: set[int] = set()
        self._received = threading.Condition()

    def wait_messages(self, count: int, timeout: float) -> bool:
        """Whether `count` messages (or more) were accepted within `timeout` seconds."""
        with self._received:
            return self._received.wait_for(lambda: len(self.messages) >= count, timeout)

    async def handle_MAIL(self, server, session, envelope, address, mail_options):
        if self.hold and not self.holding.is_set():
            self.holding.set()
            self._held_sessions.add(id(session))
            # Waits in a thread of the loop's executor, so that other sessions go on.
            await asyncio.get_running_loop().run_in_executor(None, self.release.wait)
        envelope.mail_from = address
        envelope.mail_options.extend(mail_options)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        if id(session) in self._held_sessions:
            return "451 Try again later"
        with self._received:
            self.messages.append(envelope.original_content or envelope.content)
            self.connections.append(session.peer)
            self._received.notify_all()
        return "250 Message accepted for delivery"


class RefusingMailbox(RecordingHandler):
    """A mail server that knows no such mailbox."""

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        return "550 5.1.1 No such user here"


def use_smtp(settings, port: int) -> None:
    """Django's mail goes to the SMTP server on that local port."""
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = "127.0.0.1"
    settings.EMAIL_PORT = port
    settings.EMAIL_HOST_USER = ""
    settings.EMAIL_HOST_PASSWORD = ""
    settings.EMAIL_USE_TLS = False
    settings.EMAIL_USE_SSL = False
    settings.EMAIL_TIMEOUT = 5
