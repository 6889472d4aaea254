"""Delivery through the outbox: the PDF is rendered and emailed once per version, through a
real SMTP server too; a failed attempt is shown with its reason and tried again later, a
mailbox the server refuses fails at once, and "retry delivery" sends them."""

import email
import email.policy
import io
import posixpath

from aiosmtpd.controller import Controller
from django.core.files.storage import default_storage
from pypdf import PdfReader

from certificates.models import Certificate
from certificates.services import rendering
from certificates.services.delivery import (
    certificate_render,
    certificates_delivery_retry,
    email_key,
)
from certificates.services.issuing import certificate_issue, certificate_reissue
from registration.models import OutboundEmail
from registration.tasks import email_send
from tests.evaluations import AFTER, submit_evaluation
from tests.pdfs import pdf_of, pdf_text
from tests.processes import free_port
from tests.smtp import RefusingMailbox, use_smtp

ATTENDANCE, CE = Certificate.Kind.ATTENDANCE, Certificate.Kind.CE


def issue_quietly(enrolment, kind=ATTENDANCE) -> Certificate:
    """Issued, its email in the outbox but not sent (the test transaction never commits)."""
    return certificate_issue(enrolment=enrolment, kind=kind, now=AFTER)


def deliver(certificate: Certificate) -> bool:
    """The outbox's task for the certificate's email, as a worker runs it."""
    return email_send.delay(email_key(certificate.pk)).get()


def test_delivering_twice_renders_once_and_sends_one_email(attended, mailoutbox):
    certificate = issue_quietly(attended())

    assert deliver(certificate) is True
    certificate.refresh_from_db()
    first_pdf, rendered_at = certificate.pdf.name, certificate.rendered_at
    assert deliver(certificate) is False

    certificate.refresh_from_db()
    assert len(mailoutbox) == 1
    assert certificate.delivery == Certificate.Delivery.EMAILED
    assert certificate.emailed_at is not None
    assert (certificate.pdf.name, certificate.rendered_at) == (first_pdf, rendered_at)
    assert certificate_render(certificate_id=certificate.pk) is False


def test_a_run_that_rendered_second_sends_the_pdf_kept_first_and_leaves_no_stray_file(
    attended, mailoutbox, monkeypatch
):

    certificate = issue_quietly(attended())
    draw = rendering.certificate_pdf

    def another_run_keeps_its_pdf_meanwhile(drawn):
        pdf = draw(drawn)
        monkeypatch.setattr(rendering, "certificate_pdf", draw)
        assert certificate_render(certificate_id=drawn.pk) is True
        return pdf

    monkeypatch.setattr(rendering, "certificate_pdf", another_run_keeps_its_pdf_meanwhile)
    assert deliver(certificate) is True

    (message,) = mailoutbox
    ((_name, attached, _type),) = message.attachments
    assert attached == pdf_of(certificate)
    _directories, stored = default_storage.listdir(posixpath.dirname(certificate.pdf.name))
    assert stored == [posixpath.basename(certificate.pdf.name)]


def test_the_email_carries_the_pdf_and_the_verification_link(attended, mailoutbox, settings):
    settings.SITE_URL = "https://trainings.polarisinsight.example"
    enrolment = attended()
    certificate = issue_quietly(enrolment)
    deliver(certificate)

    (message,) = mailoutbox
    assert message.to == [enrolment.trainee.email]
    assert message.subject == (
        "Your Certificate of Attendance: Foundations of Ketamine-Assisted Psychotherapy"
    )
    assert certificate.legal_name in message.body
    assert f"https://trainings.polarisinsight.example/verify/{certificate.code}/" in message.body
    ((filename, content, mimetype),) = message.attachments
    assert filename == f"polaris-certificate-{certificate.code}.pdf"
    assert mimetype == "application/pdf"
    assert certificate.legal_name in pdf_text(content)
    assert content == pdf_of(certificate)


def test_a_brn_email_reminds_the_nurse_to_keep_the_certificate_four_years(
    attended, brn, mailoutbox
):
    enrolment = attended(credit_type=brn, profession="rn")
    submit_evaluation(enrolment)
    deliver(issue_quietly(enrolment, CE))

    (message,) = mailoutbox
    assert message.subject.startswith("Your CE certificate (California BRN CE): ")
    assert "retained by the licensee for a period of four years" in message.body


def test_a_certificate_sent_through_a_real_smtp_server_arrives_with_its_pdf(
    attended, apa, smtp_server, settings
):
    use_smtp(settings, smtp_server.port)
    enrolment = attended(credit_type=apa, profession="lmft")
    submit_evaluation(enrolment)
    certificate = issue_quietly(enrolment, CE)

    assert deliver(certificate) is True

    (raw,) = smtp_server.messages
    message = email.message_from_bytes(raw, policy=email.policy.default)
    assert message["To"] == enrolment.trainee.email
    assert message["Subject"].startswith("Your CE certificate (APA CE): ")
    (attachment,) = list(message.iter_attachments())
    assert attachment.get_content_type() == "application/pdf"
    assert attachment.get_filename() == f"polaris-certificate-{certificate.code}.pdf"
    reader = PdfReader(io.BytesIO(attachment.get_content()))
    text = pdf_text(attachment.get_content())
    assert certificate.legal_name in text and "LMFT 104233" in text
    assert reader.metadata.author == "Polaris Insight Center"


def test_an_unreachable_mail_server_leaves_the_reason_and_the_certificate_is_tried_again(
    attended, settings, mailoutbox, django_capture_on_commit_callbacks
):
    use_smtp(settings, free_port())  # nothing listens there
    certificate = issue_quietly(attended())

    assert deliver(certificate) is False

    certificate.refresh_from_db()
    assert certificate.delivery == Certificate.Delivery.RENDERED  # drawn, and on its way
    assert "Connection refused" in certificate.delivery_error
    assert certificate.pdf and certificate.emailed_at is None
    email = OutboundEmail.objects.get(key=email_key(certificate.pk))
    assert (email.status, email.attempts) == ("pending", 1)
    assert email.next_attempt_at > email.created_at  # the sweep tries it again then

    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    with django_capture_on_commit_callbacks(execute=True):
        assert certificates_delivery_retry(certificate_ids=[certificate.pk], now=AFTER) == 1
    certificate.refresh_from_db()
    assert certificate.delivery == Certificate.Delivery.EMAILED
    assert certificate.delivery_error == ""
    assert len(mailoutbox) == 1
    # An emailed certificate is not sent again.
    assert certificates_delivery_retry(certificate_ids=[certificate.pk], now=AFTER) == 0


def test_a_mailbox_the_server_refuses_fails_the_delivery_at_once_with_its_reason(
    attended, settings, mailoutbox, django_capture_on_commit_callbacks
):

    controller = Controller(RefusingMailbox(), hostname="127.0.0.1", port=free_port())
    controller.start()
    try:
        use_smtp(settings, controller.port)
        certificate = issue_quietly(attended())
        assert deliver(certificate) is False
    finally:
        controller.stop()

    certificate.refresh_from_db()
    assert certificate.delivery == Certificate.Delivery.FAILED
    assert "550" in certificate.delivery_error and "No such user" in certificate.delivery_error
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    with django_capture_on_commit_callbacks(execute=True):
        assert certificates_delivery_retry(certificate_ids=[certificate.pk], now=AFTER) == 1
    certificate.refresh_from_db()
    assert certificate.delivery == Certificate.Delivery.EMAILED
    assert len(mailoutbox) == 1


def test_a_version_superseded_before_delivery_is_not_sent(attended, admin_user, mailoutbox):
    original = issue_quietly(attended())
    corrected = certificate_reissue(
        certificate=original, legal_name="Corrected Name", by=admin_user, now=AFTER
    )

    deliver(original)
    deliver(corrected)

    (message,) = mailoutbox
    assert "Corrected Name" in message.body
    original.refresh_from_db()
    assert not original.pdf and original.emailed_at is None


def test_a_rosters_certificates_share_one_smtp_connection(attended, smtp_server, settings):
    use_smtp(settings, smtp_server.port)
    certificates = [issue_quietly(attended()) for _ in range(3)]

    for certificate in certificates:
        assert deliver(certificate) is True

    assert len(smtp_server.messages) == 3
    assert len(set(smtp_server.connections)) == 1


def test_a_connection_the_mail_server_dropped_is_replaced_and_nothing_is_lost(
    attended, smtp_server, settings
):

    use_smtp(settings, smtp_server.port)
    first, second = issue_quietly(attended()), issue_quietly(attended())
    deliver(first)
    # The mail server restarts: the connection the first email used is gone.
    smtp_server.controller.stop()
    restarted = Controller(smtp_server, hostname="127.0.0.1", port=smtp_server.port)
    restarted.start()
    try:
        deliver(second)
    finally:
        restarted.stop()

    second.refresh_from_db()
    assert second.delivery == Certificate.Delivery.EMAILED
    assert len(smtp_server.messages) == 2
    assert len(set(smtp_server.connections)) == 2


def test_the_certificate_email_reads_as_html_and_as_plain_text_with_its_pdf(
    attended, apa, smtp_server, settings
):
    use_smtp(settings, smtp_server.port)
    enrolment = attended(credit_type=apa, profession="lmft")
    submit_evaluation(enrolment)
    certificate = issue_quietly(enrolment, CE)

    assert deliver(certificate) is True

    (raw,) = smtp_server.messages
    message = email.message_from_bytes(raw, policy=email.policy.default)
    plain = message.get_body(preferencelist=("plain",)).get_content()
    html = message.get_body(preferencelist=("html",)).get_content()
    for part in (plain, html):
        assert certificate.legal_name in part
        assert certificate.course_title in part
        assert f"/verify/{certificate.code}/" in part
    assert "<html" not in plain
    assert '<meta name="viewport" content="width=device-width, initial-scale=1">' in html
    assert f"Dear {certificate.legal_name}," in html
    assert ">My trainings and certificates</a>" in html
    (attachment,) = list(message.iter_attachments())
    assert attachment.get_content_type() == "application/pdf"
