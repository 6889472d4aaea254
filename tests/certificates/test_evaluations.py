"""Course evaluations: asked for once after the session, reminded a few times, answered once
by the trainee alone; submitting issues the CE certificate; the coordinator's summary."""

import os
import re
import subprocess
import sys
from datetime import datetime, timedelta

import pytest
import time_machine
from django.conf import settings
from django.db import connection
from django.test.utils import CaptureQueriesContext

from catalog.formatting import PACIFIC
from catalog.models import CreditType
from certificates.models import Certificate, Evaluation, InstructorRating, ObjectiveRating
from certificates.services import evaluations
from certificates.tasks import evaluation_reminders_send, evaluation_requests_send
from registration.models import Enrolment
from tests.evaluations import answers
from tests.factories import EnrolmentFactory, StaffFactory, TraineeFactory, login_staff
from tests.registration.flows import element, error_summary, paid_order, session_of, text

pytestmark = pytest.mark.usefixtures("catalog")

# Module 1 in June: Mon, Jun 21, 2027, 9 AM – 5 PM PT; 8 objectives, 4 instructors.
JUNE_END = datetime(2027, 6, 21, 17, 0, tzinfo=PACIFIC)
EVALUATION_URL = re.compile(r"http://\S+/evaluations/(\d+)/")


def at(moment: datetime):
    return time_machine.travel(moment, tick=False)


@pytest.fixture
def june():
    return session_of("module-1", 6)


@pytest.fixture
def apa():
    return CreditType.objects.get(code="apa")


@pytest.fixture
def trainee(db):
    return TraineeFactory()


@pytest.fixture
def enrolment(june, trainee):
    """Attendance only: no CE bought."""
    return EnrolmentFactory(session=june, trainee=trainee)


@pytest.fixture
def signed_in(client, trainee, settings):
    # The clock jumps months ahead in these tests: the sign-in must outlive the jump.
    settings.SESSION_COOKIE_AGE = 3 * 365 * 24 * 3600
    client.force_login(trainee)
    return client


def url(enrolment: Enrolment) -> str:
    return f"/evaluations/{enrolment.pk}/"


def mark(enrolment: Enrolment, attendance: str) -> None:
    Enrolment.objects.filter(pk=enrolment.pk).update(attendance=attendance)
    enrolment.refresh_from_db()


def run(task, capture) -> int:
    """Run a beat task in the test's process; the emails it records go out after commit."""
    with capture(execute=True):
        return task()


# --------------------------------------------------------------------------------------
# The request
# --------------------------------------------------------------------------------------


def test_attended_trainee_is_asked_once_as_soon_as_the_session_is_over(
    enrolment, mailoutbox, django_capture_on_commit_callbacks
):
    mark(enrolment, "attended")
    with at(JUNE_END - timedelta(minutes=5)):
        assert run(evaluation_requests_send, django_capture_on_commit_callbacks) == 0
    with at(JUNE_END + timedelta(minutes=5)):
        assert run(evaluation_requests_send, django_capture_on_commit_callbacks) == 1
    with at(JUNE_END + timedelta(hours=1, minutes=5)):
        assert run(evaluation_requests_send, django_capture_on_commit_callbacks) == 0
    with at(JUNE_END + timedelta(days=2)):
        assert run(evaluation_requests_send, django_capture_on_commit_callbacks) == 0

    assert len(mailoutbox) == 1
    email = mailoutbox[0]
    assert email.to == [enrolment.trainee.email]
    assert email.subject == "How was Module 1? Your course evaluation"
    assert "Introductory Workshop on Ketamine-Assisted Psychotherapy" in email.body
    assert "Mon, Jun 21, 2027" in email.body
    assert EVALUATION_URL.search(email.body)[1] == str(enrolment.pk)
    assert "certificate is issued when you submit" not in email.body


def test_a_trainee_whose_attendance_is_not_marked_is_asked_a_day_after_the_session(
    june, apa, mailoutbox, django_capture_on_commit_callbacks
):
    unmarked = EnrolmentFactory(session=june, trainee=TraineeFactory(), credit_type=apa)
    absent = EnrolmentFactory(session=june, trainee=TraineeFactory(), attendance="absent")
    cancelled = EnrolmentFactory(session=june, trainee=TraineeFactory(), status="cancelled")

    with at(JUNE_END + timedelta(hours=23)):
        assert run(evaluation_requests_send, django_capture_on_commit_callbacks) == 0
    with at(JUNE_END + timedelta(days=1, minutes=5)):
        assert run(evaluation_requests_send, django_capture_on_commit_callbacks) == 1
    with at(JUNE_END + timedelta(days=5)):
        assert run(evaluation_requests_send, django_capture_on_commit_callbacks) == 0

    assert [email.to for email in mailoutbox] == [[unmarked.trainee.email]]
    assert "Your APA CE certificate is issued when you submit the evaluation." in (
        mailoutbox[0].body
    )
    assert not Evaluation.objects.filter(enrolment__in=[absent, cancelled]).exists()


def test_running_the_request_task_twice_at_once_sends_one_email(
    enrolment, mailoutbox, django_capture_on_commit_callbacks
):
    mark(enrolment, "attended")
    with at(JUNE_END + timedelta(hours=2)):
        due = evaluations.evaluation_requests_due(now=JUNE_END + timedelta(hours=2))
        with django_capture_on_commit_callbacks(execute=True):
            sent = [
                evaluations.evaluation_request(enrolment_id=pk, now=JUNE_END) for pk in due + due
            ]

    assert sent == [True, False]
    assert len(mailoutbox) == 1
    assert Evaluation.objects.get(enrolment=enrolment).requested_at == JUNE_END


# --------------------------------------------------------------------------------------
# The page: only its trainee
# --------------------------------------------------------------------------------------


def test_the_evaluation_page_shows_the_course_its_objectives_and_instructors(signed_in, enrolment):
    with at(JUNE_END + timedelta(days=1)):
        response = signed_in.get(url(enrolment))

    assert response.status_code == 200
    page = text(response)
    assert "Module 1: Introductory Workshop on Ketamine-Assisted Psychotherapy" in page
    assert "Mon, Jun 21, 2027 · 9:00 AM – 5:00 PM PT" in page
    html = response.content.decode()
    for objective in enrolment.session.offering.objectives.all():
        group = element(html, f"id_objective_{objective.pk}")
        assert group.startswith("<fieldset")
        assert text(group).startswith(objective.text)
        assert "1 Poor 2 Fair 3 Good 4 Very good 5 Excellent" in text(group)
    for instructor in enrolment.session.offering.instructors.all():
        assert instructor.display_name in text(element(html, f"id_instructor_{instructor.pk}"))
    assert 'maxlength="5000"' in element(html, "id_useful")
    assert "Certificate of Attendance does not depend on it" in page


def test_the_page_says_before_submitting_that_submitting_issues_the_ce_certificate(
    signed_in, enrolment, apa
):
    Enrolment.objects.filter(pk=enrolment.pk).update(credit_type=apa)

    with at(JUNE_END + timedelta(days=1)):
        page = text(signed_in.get(url(enrolment)))

    assert "Submitting this evaluation issues your APA CE certificate" in page
    assert "Submit the evaluation and issue my CE certificate" in page


def test_another_trainee_gets_a_404_and_an_anonymous_visitor_the_sign_in_page(client, enrolment):
    with at(JUNE_END + timedelta(days=1)):
        anonymous = client.get(url(enrolment))
        client.force_login(TraineeFactory())
        other_get = client.get(url(enrolment))
        other_post = client.post(url(enrolment), answers(enrolment))

    assert anonymous.status_code == 302
    assert anonymous["Location"].startswith("/accounts/login/?next=/evaluations/")
    assert other_get.status_code == 404
    assert other_post.status_code == 404
    assert not Evaluation.objects.exists()


def test_there_is_nothing_to_evaluate_before_the_session_ends_or_when_absent(signed_in, enrolment):
    with at(JUNE_END - timedelta(hours=1)):
        assert signed_in.get(url(enrolment)).status_code == 404
    mark(enrolment, "absent")
    with at(JUNE_END + timedelta(days=1)):
        assert signed_in.get(url(enrolment)).status_code == 404


# --------------------------------------------------------------------------------------
# Submitting
# --------------------------------------------------------------------------------------


def test_submitting_stores_every_rating_and_the_comments(signed_in, enrolment):
    offering = enrolment.session.offering
    first = offering.objectives.order_by("position").first()
    with at(JUNE_END + timedelta(days=1)):
        response = signed_in.post(
            url(enrolment), answers(enrolment, 5, **{f"objective_{first.pk}": 2})
        )
        page = text(signed_in.get(response["Location"]))

    assert response.status_code == 302
    assert "Thank you: your evaluation was submitted." in page
    assert "You submitted this evaluation on Jun 22, 2027" in page
    evaluation = Evaluation.objects.get(enrolment=enrolment)
    assert evaluation.submitted_at == JUNE_END + timedelta(days=1)
    assert (evaluation.overall_rating, evaluation.useful, evaluation.improve) == (
        5,
        "The role plays.",
        "More breaks.",
    )
    assert list(ObjectiveRating.objects.values_list("objective_text", "rating")) == [
        (o.text, 2 if o == first else 5) for o in offering.objectives.order_by("position")
    ]
    assert sorted(InstructorRating.objects.values_list("instructor_name", "rating")) == sorted(
        (i.display_name, 5) for i in offering.instructors.all()
    )


def test_a_second_submission_is_refused_and_changes_nothing(signed_in, enrolment):
    with at(JUNE_END + timedelta(days=1)):
        signed_in.post(url(enrolment), answers(enrolment, 5))
        again = signed_in.post(url(enrolment), answers(enrolment, 1), follow=True)

    assert "You already submitted this evaluation." in text(again)
    assert set(ObjectiveRating.objects.values_list("rating", flat=True)) == {5}
    assert Evaluation.objects.get().overall_rating == 5
    with pytest.raises(evaluations.EvaluationRefused, match="already submitted"):
        evaluations.evaluation_submit(
            enrolment=enrolment,
            answers=evaluations.EvaluationAnswers(
                overall_rating=1, objective_ratings={}, instructor_ratings={}
            ),
            now=JUNE_END + timedelta(days=2),
        )


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("objective", "", "Choose a rating from 1 (poor) to 5 (excellent)."),
        ("objective", "6", "Choose a rating from 1 (poor) to 5 (excellent)."),
        ("instructor", "0", "Choose a rating from 1 (poor) to 5 (excellent)."),
        ("overall_rating", "", "Choose a rating from 1 (poor) to 5 (excellent)."),
        ("useful", "x" * 5001, "Write at most 5000 characters (this has 5001)."),
        ("improve", "<script>alert(1)</script>", "Please write plain text, without HTML tags."),
    ],
)
def test_bad_input_is_shown_next_to_the_field_and_in_the_summary_and_stores_nothing(
    signed_in, enrolment, field, value, message
):
    offering = enrolment.session.offering
    name = {
        "objective": f"objective_{offering.objectives.order_by('position').last().pk}",
        "instructor": f"instructor_{offering.instructors.first().pk}",
    }.get(field, field)
    with at(JUNE_END + timedelta(days=1)):
        response = signed_in.post(url(enrolment), answers(enrolment, **{name: value}))

    assert response.status_code == 400
    assert message in text(element(response, f"id_{name}_error"))
    assert "There is a problem" in error_summary(response)
    assert message in error_summary(response)
    assert f'href="#id_{name}"' in response.content.decode()
    assert "<script>alert" not in response.content.decode()
    assert not Evaluation.objects.exists()
    assert not ObjectiveRating.objects.exists()


def test_the_answers_given_are_kept_when_the_form_comes_back_with_errors(signed_in, enrolment):
    with at(JUNE_END + timedelta(days=1)):
        response = signed_in.post(
            url(enrolment), answers(enrolment, overall_rating="", useful="Great <3 & more")
        )

    html = response.content.decode()
    assert "Great &lt;3 &amp; more</textarea>" in html
    first = enrolment.session.offering.objectives.order_by("position").first()
    checked = re.findall(
        r'<input[^>]*value="(\d)"[^>]*checked', element(html, f"id_objective_{first.pk}")
    )
    assert checked == ["4"]


# --------------------------------------------------------------------------------------
# The CE certificate waits for the evaluation; the Certificate of Attendance does not
# --------------------------------------------------------------------------------------


def test_an_attended_apa_enrolment_gets_its_ce_certificate_on_submission_and_not_before(
    signed_in, enrolment, apa
):
    services = pytest.importorskip("certificates.services.issuing")
    Enrolment.objects.filter(pk=enrolment.pk).update(credit_type=apa, attendance="attended")
    enrolment.refresh_from_db()
    after = JUNE_END + timedelta(days=1)

    with at(after):
        services.certificates_issue_for_enrolment(enrolment=enrolment, now=after)
        before = set(Certificate.objects.filter(enrolment=enrolment).values_list("kind", flat=True))
        response = signed_in.post(url(enrolment), answers(enrolment), follow=True)

    assert before == {Certificate.Kind.ATTENDANCE}
    ce = Certificate.objects.get(enrolment=enrolment, kind=Certificate.Kind.CE)
    assert (ce.status, ce.credit_type, ce.credits) == (Certificate.Status.VALID, apa, 8)
    assert "Your APA CE certificate is issued: it is on its way to you by email." in text(response)
    assert Evaluation.objects.get(enrolment=enrolment).ce_certificate_held == ""


def test_when_attendance_is_not_marked_yet_the_evaluation_is_kept_and_the_certificate_follows(
    signed_in, enrolment, apa, admin_client
):
    pytest.importorskip("certificates.services.issuing")
    Enrolment.objects.filter(pk=enrolment.pk).update(credit_type=apa)

    with at(JUNE_END + timedelta(days=1)):
        response = signed_in.post(url(enrolment), answers(enrolment), follow=True)

    assert (
        "Your APA CE certificate will follow by email once the coordinator has confirmed "
        "your attendance." in text(response)
    )
    evaluation = Evaluation.objects.get(enrolment=enrolment)
    assert evaluation.submitted_at is not None
    assert evaluation.ce_certificate_held
    assert not Certificate.objects.filter(enrolment=enrolment).exists()
    listing = text(admin_client.get("/admin/certificates/evaluation/?submitted=ce_held"))
    assert "Not issued:" in listing and enrolment.trainee.last_name in listing


def test_an_expired_provider_number_holds_the_ce_certificate_with_its_reason(
    signed_in, enrolment, apa
):
    pytest.importorskip("certificates.services.issuing")
    CreditType.objects.filter(pk=apa.pk).update(expired=True)
    Enrolment.objects.filter(pk=enrolment.pk).update(credit_type=apa, attendance="attended")

    with at(JUNE_END + timedelta(days=1)):
        response = signed_in.post(url(enrolment), answers(enrolment), follow=True)

    assert "could not be issued yet: the coordinator has been told" in text(response)
    evaluation = Evaluation.objects.get(enrolment=enrolment)
    assert "expired" in evaluation.ce_certificate_held
    assert not Certificate.objects.filter(enrolment=enrolment, kind="ce").exists()


# --------------------------------------------------------------------------------------
# Reminders
# --------------------------------------------------------------------------------------


def test_reminders_stop_at_three_at_least_three_days_apart_even_if_run_twice(
    enrolment, mailoutbox, django_capture_on_commit_callbacks
):
    mark(enrolment, "attended")
    with at(JUNE_END + timedelta(minutes=5)):
        run(evaluation_requests_send, django_capture_on_commit_callbacks)
    mailoutbox.clear()

    reminded_on = []
    for day in range(1, 40):
        morning = JUNE_END.replace(hour=9, minute=15) + timedelta(days=day)
        for _twice in range(2):
            with at(morning):
                if run(evaluation_reminders_send, django_capture_on_commit_callbacks):
                    reminded_on.append(day)

    # Asked on the evening of day 0: three full days later is the morning of day 4.
    assert reminded_on == [4, 7, 10]
    assert len(mailoutbox) == 3
    assert all(e.subject == "Reminder: your evaluation of Module 1" for e in mailoutbox)
    assert EVALUATION_URL.search(mailoutbox[0].body)[1] == str(enrolment.pk)
    evaluation = Evaluation.objects.get(enrolment=enrolment)
    assert evaluation.reminders_sent == 3


def test_no_reminder_once_submitted(
    signed_in, enrolment, mailoutbox, django_capture_on_commit_callbacks
):
    mark(enrolment, "attended")
    with at(JUNE_END + timedelta(minutes=5)):
        run(evaluation_requests_send, django_capture_on_commit_callbacks)
    with at(JUNE_END + timedelta(days=1)):
        signed_in.post(url(enrolment), answers(enrolment))
    mailoutbox.clear()

    with at(JUNE_END + timedelta(days=5)):
        assert run(evaluation_reminders_send, django_capture_on_commit_callbacks) == 0
    assert mailoutbox == []


def test_no_reminder_more_than_80_days_after_the_session(
    enrolment, mailoutbox, django_capture_on_commit_callbacks
):
    Evaluation.objects.create(enrolment=enrolment, requested_at=JUNE_END + timedelta(days=70))

    with at(JUNE_END + timedelta(days=80, minutes=1)):
        assert run(evaluation_reminders_send, django_capture_on_commit_callbacks) == 0
    with at(JUNE_END + timedelta(days=79)):
        assert run(evaluation_reminders_send, django_capture_on_commit_callbacks) == 1
    with at(JUNE_END + timedelta(days=100)):
        assert run(evaluation_requests_send, django_capture_on_commit_callbacks) == 0
        assert run(evaluation_reminders_send, django_capture_on_commit_callbacks) == 0

    assert len(mailoutbox) == 1


# --------------------------------------------------------------------------------------
# My trainings
# --------------------------------------------------------------------------------------


def test_my_trainings_offers_the_evaluation_after_the_session_until_it_is_submitted(
    signed_in, trainee, june
):
    with at(datetime(2027, 1, 15, 10, tzinfo=PACIFIC)):
        paid_order(trainee, june)
        assert "Evaluate this course" not in text(signed_in.get("/my/"))
    enrolment = Enrolment.objects.get(trainee=trainee)

    with at(JUNE_END + timedelta(days=1)):
        page = signed_in.get("/my/").content.decode()
        assert f'href="/evaluations/{enrolment.pk}/"' in page
        assert "Evaluate this course" in text(page)
        signed_in.post(url(enrolment), answers(enrolment))
        assert "Evaluate this course" not in text(signed_in.get("/my/"))


# --------------------------------------------------------------------------------------
# The coordinator's summary
# --------------------------------------------------------------------------------------


def submitted(session, *, overall: int, objectives: int, instructors: int, useful: str = ""):
    enrolment = EnrolmentFactory(session=session, trainee=TraineeFactory(), attendance="attended")
    offering = session.offering
    return evaluations.evaluation_submit(
        enrolment=enrolment,
        answers=evaluations.EvaluationAnswers(
            overall_rating=overall,
            objective_ratings={o.pk: objectives for o in offering.objectives.all()},
            instructor_ratings={i.pk: instructors for i in offering.instructors.all()},
            useful=useful,
        ),
        now=JUNE_END + timedelta(days=1),
    )


def test_the_session_summary_shows_averages_counts_and_escaped_comments(admin_client, june):
    submitted(june, overall=5, objectives=5, instructors=3, useful="Loved <b>it</b>")
    submitted(june, overall=4, objectives=4, instructors=4)
    submitted(june, overall=4, objectives=4, instructors=5, useful="Clear\nand kind")
    Evaluation.objects.create(
        enrolment=EnrolmentFactory(session=june, trainee=TraineeFactory()),
        requested_at=JUNE_END,
    )

    listing = admin_client.get(f"/admin/certificates/evaluation/?session={june.pk}")
    summary_url = f"/admin/certificates/evaluation/session/{june.pk}/summary/"
    assert listing.status_code == 200
    assert f'href="{summary_url}"' in listing.content.decode()
    assert "Not yet" in text(listing)
    response = admin_client.get(summary_url)

    assert response.status_code == 200
    ratings = text(element(response, "summary-ratings"))
    assert "Participants: 4 · evaluations requested: 1 · submitted: 3" in text(response)
    assert "Overall 4.33 3 0 0 0 2 1" in ratings
    objective = june.offering.objectives.order_by("position").first()
    assert f"{objective.text} 4.33 3 0 0 0 2 1" in ratings
    instructor = june.offering.instructors.first()
    assert f"{instructor.display_name} 4.00 3 0 0 1 1 1" in ratings
    comments = element(response, "summary-comments")
    assert "Loved &lt;b&gt;it&lt;/b&gt;" in comments
    assert "Clear<br>and kind" in comments


def test_the_summary_takes_as_many_queries_for_many_evaluations_as_for_few(
    admin_client, june, django_assert_max_num_queries
):
    summary_url = f"/admin/certificates/evaluation/session/{june.pk}/summary/"
    listing_url = f"/admin/certificates/evaluation/?session={june.pk}"
    submitted(june, overall=4, objectives=4, instructors=4)
    admin_client.get(summary_url)

    with CaptureQueriesContext(connection) as few:
        admin_client.get(summary_url)
        admin_client.get(listing_url)
    for _ in range(6):
        submitted(june, overall=3, objectives=2, instructors=5, useful="Good")

    with django_assert_max_num_queries(len(few)):
        assert admin_client.get(summary_url).status_code == 200
        assert admin_client.get(listing_url).status_code == 200


def test_a_fresh_worker_registers_the_evaluation_tasks_the_beat_schedule_names():
    """Autodiscovery finds tasks.py only: CELERY_IMPORTS must bring evaluation_tasks in."""

    script = (
        "import django; django.setup()\n"
        "from polaris.celery import app\n"
        "app.loader.import_default_modules()\n"
        "print('\\n'.join(app.tasks))\n"
    )
    registered = subprocess.run(
        [sys.executable, "-c", script],
        cwd=settings.BASE_DIR,
        env={**os.environ, "DJANGO_SETTINGS_MODULE": "polaris.settings"},
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    for entry in ("evaluation-requests", "evaluation-reminders"):
        assert settings.CELERY_BEAT_SCHEDULE[entry]["task"] in registered


def test_staff_without_the_evaluation_permission_cannot_read_the_summary(client, june):
    login_staff(client, StaffFactory())

    response = client.get(f"/admin/certificates/evaluation/session/{june.pk}/summary/")

    assert response.status_code == 403


# --------------------------------------------------------------------------------------
# A module without learning objectives (the Music Module)
# --------------------------------------------------------------------------------------


def test_a_module_without_objectives_is_evaluated_without_mentioning_them(
    trainee, client, settings, mailoutbox, django_capture_on_commit_callbacks
):
    settings.SESSION_COOKIE_AGE = 3 * 365 * 24 * 3600
    music = session_of("music-module", 7)
    assert not music.offering.objectives.exists()
    enrolment = EnrolmentFactory(session=music, trainee=trainee)
    mark(enrolment, "attended")
    client.force_login(trainee)

    with at(music.ends_at + timedelta(minutes=5)):
        run(evaluation_requests_send, django_capture_on_commit_callbacks)
        page = text(client.get(url(enrolment)))

    (email,) = mailoutbox
    assert "objective" not in email.body.lower()
    assert "rate each instructor, and tell us what was useful and what to improve" in email.body
    assert "objective" not in page.lower()
    assert "Please rate each instructor, and tell us what was useful and what to improve." in page
    for instructor in music.offering.instructors.all():
        assert instructor.display_name in page
