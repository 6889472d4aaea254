"""Redis (cache and Celery broker) stopped while the coordinator asks for a session's sign-in
sheet: the sheet's page says it could not be prepared and offers to try again; once Redis is
back, trying again has a real Celery worker prepare it. The other sign-in sheet tests are in
tests/registration/test_sign_in_sheet.py."""

import pytest

from registration.tasks import sign_in_sheet_render
from tests.pdfs import pdf_text
from tests.processes import wait_for
from tests.registration.flows import session_of, text
from tests.roster import ask_for_the_sheet, download_link, enrol, trainee
from tests.worker import worker_on_own_queue

pytestmark = [
    pytest.mark.services,
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("catalog"),
]

NAMES = ("Ann Ames", "Bo Birch", "Cy Cole")


def test_with_redis_down_the_coordinator_is_told_and_once_it_is_back_may_try_again(
    app_on_private_redis, private_redis, media_in_tmp, worker_env, coordinator, tmp_path
):
    session = session_of("module-1", 6)
    entries = [enrol(session, trainee(name)) for name in NAMES]
    private_redis.stop()

    page = ask_for_the_sheet(coordinator, session, entries)
    page_url = page.redirect_chain[-1][0]
    page = coordinator.get(page_url)
    assert page.status_code == 200
    assert "could not be prepared" in text(page) and download_link(page) is None

    private_redis.start()
    with worker_on_own_queue(
        sign_in_sheet_render,
        env=worker_env,
        redis_url=private_redis.url,
        log=tmp_path / "worker.log",
    ) as worker:
        again = coordinator.post(page_url, follow=True)
        assert again.status_code == 200
        again_url = again.redirect_chain[-1][0]
        page = wait_for(
            lambda: (p := coordinator.get(again_url)) and download_link(p) and p,
            "the sheet to be ready",
            worker,
        )

    assert "could not be prepared" not in text(page)
    response = coordinator.get(download_link(page))
    assert response["Content-Type"] == "application/pdf"
    printed = pdf_text(response.content)
    assert all(name in printed for name in NAMES)
