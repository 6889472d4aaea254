"""End to end with a real Celery worker (a subprocess, prefork pool) on Redis, PostgreSQL and a
real SMTP server: attendance marked, certificates issued, then rendered and emailed by the
worker; and a worker process killed mid-task still delivers the certificate exactly once."""

import email
import email.policy
import os
import signal

import pytest
from django.core.files.storage import default_storage
from django.db import connection

from catalog.models import CreditType
from certificates.models import Certificate
from certificates.services.issuing import certificate_issue, certificates_issue_for_enrolment
from registration.models import Enrolment
from registration.services.attendance import attendance_mark
from registration.tasks import email_send
from tests.evaluations import AFTER, submit_evaluation
from tests.factories import EnrolmentFactory, TraineeFactory
from tests.pdfs import pdf_text
from tests.processes import DEADLINE_SECONDS, wait_for
from tests.registration.flows import session_of
from tests.worker import worker_idle, worker_on_own_queue

pytestmark = [pytest.mark.services, pytest.mark.django_db(transaction=True)]
ATTENDANCE_KIND = Certificate.Kind.ATTENDANCE


@pytest.fixture
def worker(worker_env, redis_url, tmp_path):
    """A real worker consuming a queue of its own; the outbox's sending task (which delivers
    certificates) goes there and this test's process publishes to Redis instead of running
    tasks inline."""
    with worker_on_own_queue(
        email_send, env=worker_env, redis_url=redis_url, log=tmp_path / "worker.log"
    ) as started:
        yield started


def delivered(certificate: Certificate) -> bool:
    certificate.refresh_from_db()
    return certificate.delivery == Certificate.Delivery.EMAILED


@pytest.fixture
def nurse_in_june(catalog, brn):
    """A registered nurse with BRN CE in Module 1's June session, who evaluated the course."""
    user = TraineeFactory(
        legal_name="Rosa Delgado-Whitfield", profession="rn", license_number="RN 771234"
    )
    enrolment = EnrolmentFactory(
        session=session_of("module-1", 6),
        trainee=user,
        status=Enrolment.Status.CONFIRMED,
        credit_type=CreditType.objects.get(code="brn"),
    )
    submit_evaluation(enrolment)
    return enrolment


def mark_attended_and_issue(enrolment: Enrolment, by) -> list[Certificate]:
    Enrolment.objects.filter(pk=enrolment.pk).update(
        signed_in_at=enrolment.session.starts_at, signed_out_at=enrolment.session.ends_at
    )
    attendance_mark(enrolment_ids=[enrolment.pk], attendance="attended", by=by, now=AFTER)
    enrolment.refresh_from_db()
    return certificates_issue_for_enrolment(enrolment=enrolment, now=AFTER, by=by)


def test_marked_attended_then_issued_the_worker_renders_and_emails_both_certificates(
    worker, nurse_in_june, smtp_server, admin_user
):
    certificates = mark_attended_and_issue(nurse_in_june, admin_user)
    assert [c.kind for c in certificates] == ["attendance", "ce"]

    for certificate in certificates:
        wait_for(lambda c=certificate: delivered(c), f"{certificate} to be emailed", worker)

    assert len(smtp_server.messages) == 2
    subjects = {}
    for raw in smtp_server.messages:
        message = email.message_from_bytes(raw, policy=email.policy.default)
        assert message["To"] == nurse_in_june.trainee.email
        (attachment,) = list(message.iter_attachments())
        subjects[message["Subject"]] = pdf_text(attachment.get_content())
    attendance = next(t for s, t in subjects.items() if "Certificate of Attendance" in s)
    brn = next(t for s, t in subjects.items() if "California BRN CE" in s)
    assert "Rosa Delgado-Whitfield" in attendance
    assert "RN 771234" in brn and "CEP16887" in brn
    for certificate in certificates:
        certificate.refresh_from_db()
        assert certificate.rendered_at and certificate.emailed_at
        assert default_storage.exists(certificate.pdf.name)
    # The worker's log (at INFO) says what each task did, not each step of each PDF.
    assert "succeeded" in worker.output() and "Creating layout" not in worker.output()


def test_a_worker_process_killed_mid_task_still_delivers_exactly_once(
    worker, nurse_in_june, smtp_server, admin_user, redis_url
):
    smtp_server.hold = True  # the first delivery stops at the mail server, mid-task
    nurse_in_june.credit_type = None
    nurse_in_june.save(update_fields=["credit_type"])
    (certificate,) = mark_attended_and_issue(nurse_in_june, admin_user)

    # The worker reaches the mail server.
    assert smtp_server.holding.wait(DEADLINE_SECONDS), worker.output()
    certificate.refresh_from_db()
    assert certificate.delivery == Certificate.Delivery.RENDERED
    rendered_at, pdf_name = certificate.rendered_at, certificate.pdf.name
    (child,) = worker.pool_processes()
    os.kill(child, signal.SIGKILL)
    smtp_server.release.set()

    wait_for(lambda: delivered(certificate), "the redelivered task to email it", worker)
    wait_for(lambda: child not in worker.pool_processes(), "a new pool process", worker)

    assert len(smtp_server.messages) == 1
    certificate.refresh_from_db()
    assert (certificate.rendered_at, certificate.pdf.name) == (rendered_at, pdf_name)
    assert certificate.emailed_at is not None
    assert "WorkerLostError" in worker.output()
    # Whatever runs it again, nothing more is sent: once the worker has finished all it
    # received and nothing waits in its queue.
    wait_for(lambda: worker_idle(worker, redis_url), "the worker to be idle", worker)
    assert len(smtp_server.messages) == 1


def worker_connections() -> list[int]:
    """The server processes of the database connections other than this test's own."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pid FROM pg_stat_activity "
            "WHERE datname = current_database() AND pid <> pg_backend_pid() ORDER BY pid"
        )
        return [pid for (pid,) in cursor.fetchall()]


def test_the_worker_keeps_its_database_connection_and_replaces_one_that_was_dropped(
    worker, catalog, attended, smtp_server
):

    def deliver_one() -> None:
        certificate = certificate_issue(enrolment=attended(), kind=ATTENDANCE_KIND, now=AFTER)
        wait_for(lambda: delivered(certificate), f"{certificate} to be emailed", worker)

    deliver_one()
    (first,) = worker_connections()
    deliver_one()
    assert worker_connections() == [first]  # one connection for both tasks

    with connection.cursor() as cursor:  # the server drops it (a restart, a failover)
        cursor.execute("SELECT pg_terminate_backend(%s)", [first])
    wait_for(lambda: first not in worker_connections(), "the connection to be gone", worker)
    deliver_one()
    (replacement,) = worker_connections()
    deliver_one()

    assert replacement != first
    assert worker_connections() == [replacement]
    assert len(smtp_server.messages) == 4
    assert "retry" not in worker.output().lower()  # noticed before use, not by a failed task
