"""Records kept four years (CE rules): cancelling, refunding or transferring a registration, by the
trainee or the coordinator, keeps the enrolment rows, attendance, certificates (with their
PDFs), evaluations and the roster; and nobody can delete them in the admin."""

from django.test import Client
from django.urls import reverse

from certificates.models import Evaluation
from registration.models import Enrolment, Order, Refund
from tests.admin_pages import rows
from tests.registration.flows import session_of, text
from tests.roster import roster_url
from tests.safety.conftest import History


def shown_messages(response) -> list[str]:
    return [str(message) for message in response.context["messages"]]


def listed(client, admin_name: str, **params) -> list:
    """The rows of an admin list, as the coordinator's browser gets them."""
    response = client.get(reverse(f"admin:{admin_name}_changelist"), params)
    assert response.status_code == 200
    return list(response.context["cl"].result_list)


def assert_records_kept(history: History, coordinator: Client) -> None:
    """The attended registration, its attendance, certificates with PDFs and evaluation are
    all there, and the coordinator and the public still see them."""
    legal_name = history.trainee.trainee_profile.legal_name
    attended = Enrolment.objects.get(pk=history.attended.pk)
    assert (attended.status, attended.attendance) == ("confirmed", "attended")

    for certificate in history.certificates:
        certificate.refresh_from_db()
        assert certificate.status == "valid"
        with certificate.pdf.open("rb") as pdf:
            assert pdf.read(5) == b"%PDF-"
        verification = text(Client().get(f"/verify/{certificate.code}/"))
        assert "Valid." in verification and legal_name in verification

    evaluation = Evaluation.objects.get(pk=history.evaluation.pk)
    assert evaluation.submitted_at is not None and evaluation.overall_rating == 4
    assert evaluation.objective_ratings.count() == attended.session.offering.objectives.count()

    roster = rows(coordinator.get(roster_url(attended.session)))
    assert [row for row in roster if legal_name in row and "Attended" in row]
    assert len(listed(coordinator, "certificates_certificate", q=legal_name)) == 2
    assert listed(coordinator, "certificates_evaluation", q=legal_name) == [evaluation]
    order_page = text(
        coordinator.get(reverse("admin:registration_order_change", args=[history.order.pk]))
    )
    assert legal_name in order_page and "Mon, Jun 21, 2027" in order_page


def test_a_refund_by_the_coordinator_keeps_attendance_certificates_and_evaluation(
    history, coordinator, fake_stripe
):
    line = history.attended.order_line
    response = coordinator.post(
        reverse("admin:registration_order_refund", args=[history.order.pk]),
        {
            "amount": "429",
            "order_line": line.pk,
            "reason": "Trainee asked after the course",
            "refunded_cents_seen": "0",
        },
        follow=True,
    )

    assert shown_messages(response) == [f"$429 refunded on order {history.order.code} (Refunded)."]
    assert [r["amount"] for r in fake_stripe.refunds.values()] == [42900]
    assert Refund.objects.get(order=history.order).order_line == line
    assert_records_kept(history, coordinator)


def test_cancelling_the_order_keeps_the_attended_registration_and_the_cancelled_row(
    history, coordinator
):
    response = coordinator.post(
        reverse("admin:registration_order_cancel", args=[history.order.pk]),
        {"reason": "Moving abroad"},
        follow=True,
    )

    assert shown_messages(response)[0].startswith(
        f"Order {history.order.code} cancelled: 1 seat freed. 1 registration in a session "
        "that has started was kept."
    )
    upcoming = Enrolment.objects.get(pk=history.upcoming.pk)
    assert upcoming.status == "cancelled" and upcoming.closed_at is not None
    rows = listed(coordinator, "registration_enrolment", q=history.trainee.email)
    assert {(e.session.offering.slug, e.status) for e in rows} == {
        ("module-1", "confirmed"),
        ("module-6", "cancelled"),
    }
    assert f"{upcoming.session.when} · Cancelled" in text(response)
    assert Order.objects.get(pk=history.order.pk).status == "paid"
    assert_records_kept(history, coordinator)


def test_transferring_a_registration_keeps_the_old_row_linked_to_the_new_date(history, coordinator):
    december = session_of("module-6", 12)

    response = coordinator.post(
        reverse("admin:registration_enrolment_transfer", args=[history.upcoming.pk]),
        {"session": december.pk},
        follow=True,
    )

    old = Enrolment.objects.get(pk=history.upcoming.pk)
    assert old.status == "transferred"
    assert (old.transferred_to.session, old.transferred_to.status) == (december, "confirmed")
    assert old.transferred_to.order_line == old.order_line
    page = text(response)
    assert f"{old.session.when} · Transferred to another date" in page
    assert f"{december.when} · Confirmed" in page
    assert_records_kept(history, coordinator)


def test_the_trainee_cancelling_keeps_the_row_and_their_certificates_on_my_trainings(
    history, coordinator, signed_in, fake_stripe
):
    response = signed_in.post(f"/enrolments/{history.upcoming.pk}/cancel/", follow=True)

    page = text(response)
    assert "is cancelled; $404 will be refunded" in page
    assert [r["amount"] for r in fake_stripe.refunds.values()] == [40400]
    assert Enrolment.objects.get(pk=history.upcoming.pk).status == "cancelled"
    assert "Certificate of Attendance (PDF)" in page and "CE certificate (PDF, APA CE)" in page
    assert_records_kept(history, coordinator)


ARCHIVE = {
    # admin name → what to open it with
    "registration_order": lambda h: h.order,
    "registration_enrolment": lambda h: h.attended,
    "registration_rosterentry": lambda h: h.attended,
    "certificates_certificate": lambda h: h.certificates[0],
    "certificates_evaluation": lambda h: h.evaluation,
    "registration_traineeprofile": lambda h: h.trainee.trainee_profile,
}


def test_not_even_a_superuser_can_delete_kept_records_in_the_admin(history, admin_client):
    for name, record_of in ARCHIVE.items():
        record = record_of(history)
        params = {"session__id__exact": record.session_id} if "roster" in name else {}
        changelist = admin_client.get(reverse(f"admin:{name}_changelist"), params)
        assert changelist.status_code == 200, name
        assert 'value="delete_selected"' not in changelist.content.decode(), name

        delete_url = reverse(f"admin:{name}_delete", args=[record.pk])
        assert admin_client.get(delete_url).status_code == 403, name
        assert admin_client.post(delete_url, {"post": "yes"}).status_code == 403, name
        assert type(record).objects.filter(pk=record.pk).exists(), name


def test_deleting_a_trainee_with_records_is_refused_on_djangos_page_not_with_an_error(
    history, admin_client
):
    delete_url = reverse("admin:auth_user_delete", args=[history.trainee.pk])

    for response in (admin_client.get(delete_url), admin_client.post(delete_url, {"post": "yes"})):
        assert response.status_code == 200
        refusal = text(response).split("Cannot delete user")[-1]
        assert "doesn't have permission to delete the following types of objects:" in refusal
        kinds = refusal.split("objects:")[1]
        assert all(kind in kinds for kind in ("order", "enrolment", "certificate", "profile"))
    assert type(history.trainee).objects.filter(pk=history.trainee.pk).exists()
