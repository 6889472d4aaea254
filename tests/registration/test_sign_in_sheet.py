"""The sign-in sheet, as the coordinator gets it: "Print the sign-in sheet" shows a page that
refreshes itself (no script) while the worker renders the PDF, then a download link. The
sheet is kept for an hour and is not served once the roster has changed. The first test
runs a real Celery worker (PostgreSQL, Redis, Django's default storage) on a roster of 500.
With Redis stopped: tests/faults/test_sign_in_sheet_redis_down.py."""

import io
import os
import re
import uuid
from datetime import timedelta

import pytest
from django.core.files.storage import default_storage
from django.test import TestCase
from django.urls import reverse
from pypdf import PdfReader

from registration.models import SignInSheet, TraineeProfile
from registration.tasks import sign_in_sheet_render, sign_in_sheets_prune
from tests.factories import StaffFactory, login_staff
from tests.processes import database_url, wait_for
from tests.roster import ask_for_the_sheet, download_link, enrol, grow_roster, trainee
from tests.worker import worker_on_own_queue

from .flows import text

pytestmark = pytest.mark.usefixtures("catalog")

WORKER_DEADLINE_SECONDS = 180  # 500 rows on a busy 2-core machine


def pdf_text(response) -> str:
    assert response["Content-Type"] == "application/pdf"
    reader = PdfReader(io.BytesIO(response.content))
    return re.sub(r"\s+", " ", " ".join(page.extract_text() for page in reader.pages))


# --------------------------------------------------------------------------------------
# With a real worker
# --------------------------------------------------------------------------------------


@pytest.fixture
def sheet_worker(postgres, redis_url, settings, tmp_path):
    """A real worker consuming a queue of its own, where the sheet's rendering task goes;
    this test's process publishes to Redis instead of running tasks inline. Both share the
    test's database and media storage."""
    settings.MEDIA_ROOT = str(tmp_path / "media")
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "polaris.settings",
        "DATABASE_URL": database_url(),
        "REDIS_URL": redis_url,
        "CACHE_KEY_PREFIX": f"test-worker-{uuid.uuid4().hex[:8]}",
        "MEDIA_ROOT": settings.MEDIA_ROOT,
        "LOG_LEVEL": "INFO",
    }
    with worker_on_own_queue(
        sign_in_sheet_render, env=env, redis_url=redis_url, log=tmp_path / "worker.log"
    ) as worker:
        yield worker


@pytest.mark.services
@pytest.mark.django_db(transaction=True)
def test_the_worker_prepares_a_sheet_of_500_and_a_changed_roster_needs_a_new_one(
    sheet_worker, admin_client, session
):
    grow_roster(session, 500)

    page = ask_for_the_sheet(admin_client, session, everyone=True)
    assert "Preparing the sign-in sheet for 500 trainees" in text(page)
    assert '<meta http-equiv="refresh" content="2">' in page.content.decode()
    assert download_link(page) is None
    sheet_page = page.redirect_chain[-1][0]

    page = wait_for(
        lambda: (p := admin_client.get(sheet_page)) and download_link(p) and p,
        "the sheet to be ready",
        sheet_worker,
        timeout=WORKER_DEADLINE_SECONDS,
    )
    assert "The sign-in sheet for 500 trainees is ready" in text(page)
    assert 'http-equiv="refresh"' not in page.content.decode()
    printed = pdf_text(admin_client.get(download_link(page)))
    names = TraineeProfile.objects.filter(user__enrolments__session=session).values_list(
        "legal_name", flat=True
    )
    assert len(names) == 500 and all(name in printed for name in names)
    sheet = SignInSheet.objects.get()
    assert default_storage.exists(sheet.pdf.name)

    # A name is corrected: the sheet on file is not served any more; a new one is prepared.
    profile = TraineeProfile.objects.filter(user__enrolments__session=session).first()
    profile.legal_name = "Corrected Name-Spelling"
    profile.save()
    page = admin_client.get(sheet_page)
    assert "The roster changed since this sheet was prepared" in text(page)
    assert download_link(page) is None
    refused = admin_client.get(download_link_of(sheet), follow=True)
    assert "no longer be downloaded" in text(refused)
    assert refused["Content-Type"].startswith("text/html")

    page = admin_client.post(sheet_page, follow=True)
    again = page.redirect_chain[-1][0]
    assert again != sheet_page
    page = wait_for(
        lambda: (p := admin_client.get(again)) and download_link(p) and p,
        "the new sheet to be ready",
        sheet_worker,
        timeout=WORKER_DEADLINE_SECONDS,
    )
    assert "Corrected Name-Spelling" in pdf_text(admin_client.get(download_link(page)))


def download_link_of(sheet: SignInSheet) -> str:

    return reverse(
        "admin:registration_rosterentry_sign_in_sheet_download", args=[sheet.session_id, sheet.pk]
    )


# --------------------------------------------------------------------------------------
# The worker's task run inline, once the request has committed
# --------------------------------------------------------------------------------------


@pytest.fixture
def media(settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path / "media")


@pytest.fixture
def three(session):
    return [enrol(session, trainee(name)) for name in ("Ann Ames", "Bo Birch", "Cy Cole")]


def prepared(client, session, entries):
    """Ask for the sheet and let the worker (inline) render it; the sheet's page."""
    with TestCase.captureOnCommitCallbacks(execute=True):
        page = ask_for_the_sheet(client, session, entries)
    return page.redirect_chain[-1][0]


def test_the_chosen_trainees_are_printed_and_asking_again_reuses_the_sheet(
    admin_client, session, three, media
):
    first = prepared(admin_client, session, three[:2])
    second = prepared(admin_client, session, three[:2])
    assert first == second and SignInSheet.objects.count() == 1
    printed = pdf_text(admin_client.get(download_link(admin_client.get(first))))
    assert "Ann Ames" in printed and "Bo Birch" in printed and "Cy Cole" not in printed

    # Another choice is another sheet; a trainee who leaves the roster makes it stale.
    other = prepared(admin_client, session, three)
    assert other != first
    three[1].status = "cancelled"
    three[1].save()
    assert "The roster changed" in text(admin_client.get(first))
    assert "The roster changed" in text(admin_client.get(other))


def test_a_sheet_is_kept_an_hour_then_no_longer_served_and_pruned(
    before_season, admin_client, session, three, media
):
    page = prepared(admin_client, session, three)
    sheet = SignInSheet.objects.get()
    assert "Kept until" in text(admin_client.get(page))

    before_season.shift(timedelta(minutes=61))
    assert "was kept its time" in text(admin_client.get(page))
    assert download_link(admin_client.get(page)) is None
    assert admin_client.get(download_link_of(sheet)).status_code == 302

    assert sign_in_sheets_prune.delay().get() == 1
    assert not SignInSheet.objects.exists()
    assert not default_storage.exists(sheet.pdf.name)


def test_a_sheet_is_shown_only_under_its_session_and_to_staff_with_the_roster(
    client, admin_client, session, three, media
):
    page = prepared(admin_client, session, three)
    sheet = SignInSheet.objects.get()
    elsewhere = page.replace(f"/session/{session.pk}/", f"/session/{session.pk + 1}/")
    assert admin_client.get(elsewhere).status_code == 404

    login_staff(client, StaffFactory())
    assert client.get(page).status_code == 403
    assert client.get(download_link_of(sheet)).status_code == 403
    assert client.post(page).status_code == 403
    assert SignInSheet.objects.count() == 1
