"""The coordinator's certificates in Django admin: "Issue certificates" on the roster, the
session's delivery progress with "Retry failed", and the certificates list with its
corrections (reissue with a corrected name, revoke, retry delivery), never a deletion."""

import re
from datetime import timedelta

import pytest
from django.conf import settings
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.contrib.auth.models import Permission
from django.core import mail
from django.urls import reverse

from catalog.models import Session, SiteSettings
from certificates.models import Certificate
from certificates.services.issuing import certificate_issue
from registration.models import Enrolment
from tests.admin_pages import shown_messages
from tests.factories import CertificateFactory, StaffFactory, login_staff
from tests.registration.flows import element, text
from tests.roster import (
    EVENING_AFTER,
    SESSION_END,
    SESSION_START,
    auto_issue,
    enrol,
    roster_url,
    run_action,
    trainee,
)

pytestmark = pytest.mark.usefixtures("catalog")

Kind, Delivery, Status = Certificate.Kind, Certificate.Delivery, Certificate.Status
ATTENDED = Enrolment.Attendance.ATTENDED


@pytest.fixture
def session() -> Session:
    return Session.objects.select_related("offering").get(
        offering__slug="module-1", starts_at__month=6
    )


@pytest.fixture
def roster(session) -> dict[str, Enrolment]:
    """Dana Cho (APA CE, no evaluation yet) and Ben Bell attended; Jane Doe is not marked."""
    return {
        "cho": enrol(session, trainee("Dana Cho", profession="psychologist",
                                      license_number="PSY 31415"), credit="apa",
                     attendance=ATTENDED),
        "bell": enrol(session, trainee("Ben Bell"), attendance=ATTENDED),
        "doe": enrol(session, trainee("Jane Doe")),
    }  # fmt: skip


def signed_in_and_out(entry: Enrolment) -> None:
    """There from the start to the end of the session, by the roster's times."""

    Enrolment.objects.filter(pk=entry.pk).update(
        signed_in_at=SESSION_START, signed_out_at=SESSION_END
    )


def progress_url(session: Session) -> str:
    return reverse("admin:registration_rosterentry_certificates", args=[session.pk])


def certificates_url(**query) -> str:
    url = reverse("admin:certificates_certificate_changelist")
    return url + ("?" + "&".join(f"{k}={v}" for k, v in query.items()) if query else "")


def certificate_action(client, action: str, *certificates, **data):
    return client.post(
        certificates_url(),
        {
            "action": action,
            "index": 0,
            ACTION_CHECKBOX_NAME: [c.pk for c in certificates],
            **data,
        },
        follow=True,
    )


def list_rows(response) -> list[str]:
    table = element(response, "result_list")
    return [text(row) for row in re.findall(r"<tr\b.*?</tr>", table, flags=re.S)[1:]]


# --------------------------------------------------------------------------------------
# "Issue certificates" on the roster, and the progress page
# --------------------------------------------------------------------------------------


def test_issue_certificates_queues_them_reports_refusals_and_shows_progress(
    after_session, admin_client, session, roster, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = run_action(admin_client, session, "issue_certificates", *roster.values())
    assert response.redirect_chain == [(progress_url(session), 302)]
    [message] = shown_messages(response)
    assert message.startswith("2 certificates queued. 2 refused: ")
    assert "Dana Cho — the CE certificate is issued once the trainee submits" in message
    assert "Jane Doe — not marked attended" in message
    assert sorted(
        Certificate.objects.filter(enrolment__session=session).values_list("legal_name", "kind")
    ) == [("Ben Bell", Kind.ATTENDANCE), ("Dana Cho", Kind.ATTENDANCE)]

    assert "0 of 2 rendered and emailed" in text(response)  # not before the commit
    assert '<meta http-equiv="refresh" content="5">' in response.content.decode()

    response = admin_client.get(progress_url(session))  # Celery runs tasks inline in tests
    assert "2 of 2 rendered and emailed" in text(response)
    assert '<meta http-equiv="refresh"' not in response.content.decode()
    assert sorted(m.to[0] for m in mail.outbox) == sorted(
        roster[key].trainee.email for key in ("bell", "cho")
    )


def test_issuing_everyone_selected_across_the_roster_means_everyone_attended(
    after_session, admin_client, session, roster, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=False):
        response = admin_client.post(
            roster_url(session),
            {
                "action": "issue_certificates",
                "index": 0,
                "select_across": 1,
                ACTION_CHECKBOX_NAME: [roster["doe"].pk],
            },
            follow=True,
        )
    [message] = shown_messages(response)
    assert message.startswith("2 certificates queued. 1 refused: Dana Cho — ")  # not Jane Doe
    page = text(response)
    assert "0 of 2 rendered and emailed" in page and "Queued: 2" in page
    assert '<meta http-equiv="refresh" content="5">' in response.content.decode()

    with django_capture_on_commit_callbacks(execute=False):
        response = run_action(admin_client, session, "issue_certificates", roster["bell"])
    assert shown_messages(response) == ["0 certificates queued. 1 was already issued."]


def test_the_roster_links_to_its_certificates(before_season, admin_client, session, roster):
    page = admin_client.get(roster_url(session)).content.decode()
    assert f'href="{progress_url(session)}"' in page
    assert '<option value="issue_certificates">Issue certificates</option>' in page


def test_progress_page_counts_and_lists_each_failure_with_its_reason(admin_client, session, roster):
    CertificateFactory(enrolment=roster["cho"], delivery=Delivery.EMAILED)
    CertificateFactory(enrolment=roster["bell"], delivery=Delivery.RENDERED)
    CertificateFactory(
        enrolment=roster["doe"],
        delivery=Delivery.FAILED,
        delivery_error="SMTP 550: mailbox unavailable",
    )
    response = admin_client.get(progress_url(session))
    assert response.status_code == 200
    page = text(response)
    assert "1 of 3 rendered and emailed" in page
    assert "Queued: 0 · rendered, being emailed: 1 · failed: 1." in page
    assert text(element(response, "certificates-failures")).endswith(
        "Jane Doe " + roster["doe"].trainee.email + " Certificate of Attendance "
        "SMTP 550: mailbox unavailable"
    )
    assert '<meta http-equiv="refresh" content="5">' in response.content.decode()
    assert 'name="retry"' in response.content.decode()


def test_progress_page_of_a_session_without_certificates(admin_client, session, roster):
    response = admin_client.get(progress_url(session))
    assert "No certificates have been issued for this session yet." in text(response)
    assert "refresh" not in response.content.decode()
    assert (
        admin_client.get(progress_url(session).replace(str(session.pk), "999999")).status_code
        == 404
    )


def test_retry_failed_queues_them_again_and_they_are_emailed(
    after_session, admin_client, session, roster, django_capture_on_commit_callbacks
):
    failed = CertificateFactory(
        enrolment=roster["bell"], delivery=Delivery.FAILED, delivery_error="Connection refused"
    )
    CertificateFactory(enrolment=roster["cho"], delivery=Delivery.EMAILED)
    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post(progress_url(session), {"retry": "1"}, follow=True)
    assert shown_messages(response) == ["1 certificate queued again."]
    failed.refresh_from_db()
    assert failed.delivery == Delivery.EMAILED and failed.delivery_error == ""
    assert [m.to for m in mail.outbox] == [[roster["bell"].trainee.email]]
    response = admin_client.get(progress_url(session))
    assert "2 of 2 rendered and emailed" in text(response)
    assert 'name="retry"' not in response.content.decode()


def test_retry_needs_the_right_to_change_the_roster(client, session, roster):

    viewer = StaffFactory()
    viewer.user_permissions.add(Permission.objects.get(codename="view_rosterentry"))
    login_staff(client, viewer)
    CertificateFactory(enrolment=roster["bell"], delivery=Delivery.FAILED)
    response = client.get(progress_url(session))
    assert response.status_code == 200 and 'name="retry"' not in response.content.decode()
    assert client.post(progress_url(session), {"retry": "1"}).status_code == 403
    assert Certificate.objects.get().delivery == Delivery.FAILED


# --------------------------------------------------------------------------------------
# The certificates list and its corrections
# --------------------------------------------------------------------------------------


def test_the_list_shows_each_certificate_and_searches_by_name_or_code(
    admin_client, session, roster
):
    cho = CertificateFactory(enrolment=roster["cho"], delivery=Delivery.EMAILED)
    CertificateFactory(
        enrolment=roster["bell"], delivery=Delivery.FAILED, delivery_error="Connection refused"
    )
    response = admin_client.get(certificates_url())
    rows = list_rows(response)
    assert len(rows) == 2
    bell = next(row for row in rows if row.startswith("Ben Bell"))
    assert "Certificate of Attendance" in bell and "Module 1" in bell
    assert "Valid" in bell and "Failed Connection refused" in bell
    for column in ("Participant", "Kind", "Course", "Status", "Delivery", "Version", "Issued"):
        assert column.lower() in text(element(response, "result_list")).lower()

    assert [r.split(" ")[:2] for r in list_rows(admin_client.get(certificates_url(q="Cho")))] == [
        ["Dana", "Cho"]
    ]
    found = list_rows(admin_client.get(certificates_url(q=cho.code)))
    assert len(found) == 1 and found[0].startswith("Dana Cho")
    failed = list_rows(admin_client.get(certificates_url(delivery__exact="failed")))
    assert len(failed) == 1 and failed[0].startswith("Ben Bell")


def test_a_certificate_is_read_only_and_never_deleted(admin_client, session, roster):
    cho = CertificateFactory(enrolment=roster["cho"])
    change = reverse("admin:certificates_certificate_change", args=[cho.pk])
    response = admin_client.get(change)
    assert response.status_code == 200
    page = response.content.decode()
    assert cho.code in page and 'name="_save"' not in page and "deletelink" not in page
    assert f'href="/verify/{cho.code}/"' in page and "Not rendered yet" in text(page)
    assert admin_client.post(change, {"legal_name": "Someone Else"}).status_code == 403
    delete = reverse("admin:certificates_certificate_delete", args=[cho.pk])
    assert admin_client.post(delete, {"post": "yes"}).status_code == 403
    assert admin_client.get(reverse("admin:certificates_certificate_add")).status_code == 403
    listing = admin_client.get(certificates_url()).content.decode()
    assert 'value="delete_selected"' not in listing
    assert Certificate.objects.get(pk=cho.pk).legal_name == "Dana Cho"


def test_reissue_with_a_corrected_name_makes_version_2_and_supersedes_version_1(
    after_session, admin_client, session, roster, django_capture_on_commit_callbacks
):
    v1 = CertificateFactory(enrolment=roster["cho"], delivery=Delivery.EMAILED)
    form = certificate_action(admin_client, "reissue", v1)
    assert form.status_code == 200
    assert 'value="Dana Cho"' in form.content.decode() and v1.code in text(form)

    with django_capture_on_commit_callbacks(execute=True):
        response = certificate_action(
            admin_client, "reissue", v1, legal_name="  Dana  Cho-Alvarez ", apply="1"
        )
    assert shown_messages(response) == [
        "Reissued as version 2 for Dana Cho-Alvarez; version 1 is superseded. "
        "The corrected certificate is being emailed."
    ]
    v1.refresh_from_db()
    v2 = Certificate.objects.get(supersedes=v1)
    assert (v1.status, v2.status, v2.version) == (Status.SUPERSEDED, Status.VALID, 2)
    assert v2.legal_name == "Dana Cho-Alvarez" and v2.code != v1.code
    assert v2.delivery == Delivery.EMAILED and len(mail.outbox) == 1
    rows = list_rows(response)
    assert any(r.startswith("Dana Cho-Alvarez") and "Valid" in r and " 2 " in r for r in rows)
    assert any(r.startswith("Dana Cho ") and "Superseded" in r and " 1 " in r for r in rows)


def test_reissue_takes_one_valid_certificate_and_a_name(admin_client, session, roster):
    cho, bell = (
        CertificateFactory(enrolment=roster["cho"]),
        CertificateFactory(enrolment=roster["bell"]),
    )
    response = certificate_action(admin_client, "reissue", cho, bell)
    assert shown_messages(response) == ["Choose one certificate to reissue at a time."]
    response = certificate_action(admin_client, "reissue", cho, legal_name=" ", apply="1")
    assert response.status_code == 200 and "This field is required." in text(response)
    Certificate.objects.filter(pk=bell.pk).update(status=Status.REVOKED)
    response = certificate_action(admin_client, "reissue", bell)
    assert shown_messages(response) == [
        "Only a valid certificate can be reissued: this one is revoked."
    ]
    assert Certificate.objects.count() == 2


def test_revoke_asks_for_the_reason_and_keeps_the_record(admin_client, session, roster):
    cho = CertificateFactory(enrolment=roster["cho"])
    form = certificate_action(admin_client, "revoke", cho)
    assert form.status_code == 200 and "Reason" in text(form)
    response = certificate_action(admin_client, "revoke", cho, apply="1", reason="")
    assert "This field is required." in text(response)
    response = certificate_action(
        admin_client, "revoke", cho, apply="1", reason="Issued to the wrong trainee"
    )
    assert shown_messages(response) == ["1 certificate revoked."]
    cho.refresh_from_db()
    assert cho.status == Status.REVOKED and cho.revoked_reason == "Issued to the wrong trainee"
    assert any("Revoked" in row for row in list_rows(response))


def stuck_on_its_way(enrolment, after_session, django_capture_on_commit_callbacks):
    """Issued, and its task lost (a worker killed outright): the email never leaves, until
    the outbox counts it as stuck."""

    Enrolment.objects.filter(pk=enrolment.pk).update(attendance=ATTENDED)
    enrolment.refresh_from_db()
    with django_capture_on_commit_callbacks(execute=False):
        issued = certificate_issue(enrolment=enrolment, kind=Kind.ATTENDANCE, now=EVENING_AFTER)
    after_session.shift(timedelta(seconds=settings.OUTBOX_STUCK_SECONDS + 60))
    return issued


def test_retry_delivery_sends_failed_and_stuck_ones_and_leaves_emailed_ones_alone(
    after_session, admin_client, session, roster, django_capture_on_commit_callbacks
):
    failed = CertificateFactory(
        enrolment=roster["bell"], delivery=Delivery.FAILED, delivery_error="Timeout"
    )
    emailed = CertificateFactory(enrolment=roster["cho"], delivery=Delivery.EMAILED)
    stuck = stuck_on_its_way(roster["doe"], after_session, django_capture_on_commit_callbacks)
    assert stuck.delivery == Delivery.QUEUED

    with django_capture_on_commit_callbacks(execute=True):
        response = certificate_action(admin_client, "retry_delivery", failed, emailed, stuck)

    assert shown_messages(response) == [
        "2 certificates queued for delivery again. "
        "1 was emailed already (or is no longer valid), so was left alone."
    ]
    for retried in (failed, stuck):
        retried.refresh_from_db()
        assert retried.delivery == Delivery.EMAILED
    assert sorted(m.to[0] for m in mail.outbox) == sorted(
        roster[key].trainee.email for key in ("bell", "doe")
    )


def test_the_progress_page_shows_certificates_stuck_on_their_way_and_retries_them(
    after_session, admin_client, session, roster, django_capture_on_commit_callbacks
):
    CertificateFactory(enrolment=roster["cho"], delivery=Delivery.EMAILED)
    stuck_on_its_way(roster["doe"], after_session, django_capture_on_commit_callbacks)

    response = admin_client.get(progress_url(session))
    assert "1 of 2 rendered and emailed" in text(response)
    assert "1 is stuck on its way (its worker stopped)" in text(response)
    assert 'value="Retry failed and stuck"' in response.content.decode()

    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post(progress_url(session), {"retry": "1"}, follow=True)
    assert shown_messages(response) == ["1 certificate queued again."]
    assert [m.to for m in mail.outbox] == [[roster["doe"].trainee.email]]
    response = admin_client.get(progress_url(session))
    assert "2 of 2 rendered and emailed" in text(response)
    assert "stuck" not in text(response)


# --------------------------------------------------------------------------------------
# The site setting, from the roster
# --------------------------------------------------------------------------------------


def test_marking_attended_with_the_setting_on_issues_and_links_to_progress(
    after_session, admin_client, session, roster, django_capture_on_commit_callbacks
):
    auto_issue(True)
    signed_in_and_out(roster["doe"])
    with django_capture_on_commit_callbacks(execute=True):
        response = run_action(admin_client, session, "mark_attended", roster["doe"])
    messages = shown_messages(response)
    assert messages[0] == "1 trainee marked attended in full."
    assert messages[1].startswith("Their certificates are being issued.")
    assert f'href="{progress_url(session)}"' in messages[1]
    doe = Certificate.objects.get(enrolment=roster["doe"])
    assert doe.kind == Kind.ATTENDANCE and doe.delivery == Delivery.EMAILED


def test_marking_attended_with_the_setting_off_issues_nothing(
    after_session, admin_client, session, roster, django_capture_on_commit_callbacks
):
    assert not SiteSettings.current().issue_certificates_on_attendance
    signed_in_and_out(roster["doe"])
    with django_capture_on_commit_callbacks(execute=True):
        response = run_action(admin_client, session, "mark_attended", roster["doe"])
    assert shown_messages(response) == ["1 trainee marked attended in full."]
    assert not Certificate.objects.exists()
