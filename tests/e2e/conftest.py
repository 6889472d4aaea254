"""Browser tests: Debian's Chromium, driven by Playwright, against pytest-django's live server."""

from pathlib import Path

import pytest
from django.conf import settings as django_settings
from playwright.sync_api import sync_playwright

from tests.conftest import _missing, point_stripe_at
from tests.fakes.stripe_server import FakeStripe

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
SCREENSHOTS = Path(django_settings.BASE_DIR) / "artifacts" / "screenshots"
TIMEOUT_MS = 15_000


@pytest.fixture(autouse=True)
def _static_files_from_source(settings):
    """Pages link the CSS and scripts being tested, not a copy left by an earlier collectstatic.

    With var/static/staticfiles.json present, the storage would hand out hashed names that
    only the collected (possibly stale) copies answer; the live server serves static/ itself.
    """
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }


@pytest.fixture(scope="package")
def browser():
    """One headless Chromium for the browser tests, closed when the last of them is done.

    Playwright's sync API keeps an event loop running in the main thread while it is
    started, and Django refuses ORM calls (the tests' and the fixtures') while a loop runs,
    unless DJANGO_ALLOW_ASYNC_UNSAFE is set. Both last only as long as this package's tests,
    so the rest of the suite, and the processes it starts, keep Django's async safety.
    """
    if not CHROMIUM.exists():
        _missing(f"the browser tests need Chromium at {CHROMIUM} (Debian package chromium)")

    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(
                executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True
            )
            yield browser
            browser.close()


@pytest.fixture
def page(browser):
    context = browser.new_context(
        viewport={"width": 1280, "height": 900}, java_script_enabled=True, accept_downloads=True
    )
    context.set_default_timeout(TIMEOUT_MS)
    context.set_default_navigation_timeout(TIMEOUT_MS)
    page = context.new_page()
    yield page
    context.close()


@pytest.fixture
def screenshot():
    """Saves a full-page screenshot under artifacts/screenshots/ (ignored by git)."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)

    def save(page, name: str) -> Path:
        path = SCREENSHOTS / f"{name}.png"
        page.screenshot(path=str(path), full_page=True)
        return path

    return save


@pytest.fixture
def fake_stripe(settings, live_server):
    """Stripe's fake, whose hosted /pay page sends its signed webhook to the live server."""

    with FakeStripe(webhook_url=f"{live_server.url}/stripe/webhook/") as fake:
        point_stripe_at(settings, fake, timeout_seconds=5)
        yield fake
