"""The account pages (django-allauth) in the site's own look: sign-up, sign-in, reset, manage.

The templates live in templates/allauth/ (layout and Bootstrap "elements") and
templates/account/ (pages and emails). Redirects into the site's own views are asserted
on their target, not followed.
"""

import re

import pytest
from allauth.account.models import EmailAddress
from django.contrib import auth
from django.contrib.auth import get_user_model
from django.contrib.auth.models import AnonymousUser
from django.template.loader import render_to_string
from django.test import RequestFactory
from django.urls import reverse

from tests.factories import PASSWORD, UserFactory

NEW_PASSWORD = "violet lantern harbour 93"


def _text(response) -> str:
    return response.content.decode()


def _link(body: str, path_prefix: str) -> str:
    """The path of the one link in an email body that starts with path_prefix."""
    match = re.search(r"https?://[^/\s]+(" + re.escape(path_prefix) + r"\S+)", body)
    assert match, f"no link to {path_prefix} in:\n{body}"
    return match.group(1)


def _summary(html: str) -> str:
    """The error summary's HTML (GOV.UK pattern), which must be there."""
    match = re.search(r'<div role="alert">(.*?)</div>', html, re.S)
    assert match, "no error summary on the page"
    return match.group(1)


@pytest.fixture
def verified_user(db):
    return UserFactory(email="robin@example.com", password=PASSWORD, verified_email=True)


@pytest.mark.django_db
def test_signup_sends_verification_email_whose_link_confirms_and_signs_in(
    client, mailoutbox, django_capture_on_commit_callbacks
):
    page = client.get(reverse("account_signup"))
    assert page.status_code == 200
    html = _text(page)
    for field in ("id_email", "id_password1", "id_password2"):
        assert f'<label for="{field}"' in html
    assert "create an account with Polaris Insight Center to register for trainings" in html
    assert 'autocomplete="new-password"' in html and 'autocomplete="email"' in html

    with django_capture_on_commit_callbacks(execute=True):  # the outbox sends it (inline)
        response = client.post(
            reverse("account_signup"),
            {"email": "sam@example.com", "password1": PASSWORD, "password2": PASSWORD},
        )
    assert response.status_code == 302
    assert response["Location"] == reverse("account_email_verification_sent")
    assert not auth.get_user(client).is_authenticated

    sent = client.get(response["Location"])
    assert sent.status_code == 200 and "Check your email" in _text(sent)

    assert len(mailoutbox) == 1
    message = mailoutbox[0]
    assert message.to == ["sam@example.com"]
    assert message.subject.startswith("[Polaris Trainings] ")
    assert "Polaris Insight Center" in message.body
    assert "<" not in message.body  # plain text, no HTML
    confirm_path = _link(message.body, "/accounts/confirm-email/")

    confirm_page = client.get(confirm_path)
    assert confirm_page.status_code == 200
    assert "sam@example.com" in _text(confirm_page)
    # The page's form signs the key again (allauth's HMAC keys carry the second they were
    # signed in), so it posts to a confirmation link of its own, not always the email's.
    assert re.search(r'action="/accounts/confirm-email/[^"/]+/"', _text(confirm_page))

    confirmed = client.post(confirm_path)
    assert confirmed.status_code == 302
    assert confirmed["Location"] == "/account/profile/"  # ACCOUNT_SIGNUP_REDIRECT_URL
    assert EmailAddress.objects.get(email="sam@example.com").verified
    signed_in = auth.get_user(client)
    assert signed_in.is_authenticated and signed_in.email == "sam@example.com"


@pytest.mark.django_db
def test_sign_in_page_has_visible_labels_and_autocomplete(client):
    response = client.get(reverse("account_login"))
    assert response.status_code == 200
    html = _text(response)
    assert '<label for="id_login"' in html
    assert '<label for="id_password"' in html
    assert 'autocomplete="current-password"' in html
    assert 'placeholder="' not in html
    assert 'class="form-control' in html and 'class="form-check-input' in html
    assert f'href="{reverse("account_reset_password")}"' in html  # forgot your password?
    assert f'href="{reverse("account_signup")}"' in html
    assert "There is a problem" not in html


@pytest.mark.django_db
def test_wrong_password_shows_the_error_summary_and_stays_signed_out(client, verified_user):
    response = client.post(
        reverse("account_login"), {"login": verified_user.email, "password": "not my password"}
    )
    assert response.status_code == 200
    html = _text(response)
    summary = _summary(html)
    assert "There is a problem" in summary
    assert 'href="#id_login"' in summary  # the non-field error links to the first field
    assert "<title>Error: " in html
    assert 'value="robin@example.com"' in html
    assert not auth.get_user(client).is_authenticated


@pytest.mark.django_db
def test_signup_with_mismatched_passwords_shows_errors_by_the_field_and_in_the_summary(client):
    users_before = get_user_model().objects.count()
    response = client.post(
        reverse("account_signup"),
        {"email": "kim@example.com", "password1": PASSWORD, "password2": PASSWORD + "!"},
    )
    assert response.status_code == 200
    html = _text(response)
    message = "You must type the same password each time."

    summary = _summary(html)
    assert "There is a problem" in summary
    assert re.search(r'<a [^>]*href="#id_password2"[^>]*>[^<]*' + re.escape(message), summary)

    field = re.search(r'<input [^>]*id="id_password2"[^>]*>', html).group(0)
    assert "is-invalid" in field
    assert 'aria-invalid="true"' in field
    assert 'aria-describedby="id_password2_error"' in field
    assert re.search(
        r'id="id_password2_error" class="invalid-feedback d-block">.*?' + re.escape(message),
        html,
        re.S,
    )
    # Help text is tied to its field too.
    assert 'aria-describedby="id_password1_helptext"' in html
    assert 'id="id_password1_helptext" class="form-text"' in html

    assert get_user_model().objects.count() == users_before
    assert not EmailAddress.objects.filter(email="kim@example.com").exists()


@pytest.mark.django_db
def test_password_reset_email_link_sets_a_new_password_that_signs_in(
    client, verified_user, mailoutbox, django_capture_on_commit_callbacks
):
    page = client.get(reverse("account_reset_password"))
    assert page.status_code == 200 and '<label for="id_email"' in _text(page)

    with django_capture_on_commit_callbacks(execute=True):  # the outbox sends it (inline)
        response = client.post(reverse("account_reset_password"), {"email": verified_user.email})
    assert response.status_code == 302
    assert response["Location"] == reverse("account_reset_password_done")
    assert client.get(response["Location"]).status_code == 200

    assert len(mailoutbox) == 1
    message = mailoutbox[0]
    assert message.to == [verified_user.email]
    assert message.subject == "[Polaris Trainings] Reset your password"
    assert "Polaris Insight Center" in message.body
    key_path = _link(message.body, "/accounts/password/reset/key/")

    # allauth moves the key into the session and redirects to a key-less URL.
    stage = client.get(key_path)
    assert stage.status_code == 302
    set_path = stage["Location"]
    form = client.get(set_path)
    assert form.status_code == 200
    assert '<label for="id_password1"' in _text(form) and '<label for="id_password2"' in _text(form)

    done = client.post(set_path, {"password1": NEW_PASSWORD, "password2": NEW_PASSWORD})
    assert done.status_code == 302
    assert done["Location"] == reverse("account_reset_password_from_key_done")
    assert "Password changed" in _text(client.get(done["Location"]))
    assert not auth.get_user(client).is_authenticated

    old = client.post(
        reverse("account_login"), {"login": verified_user.email, "password": PASSWORD}
    )
    assert old.status_code == 200 and "There is a problem" in _text(old)
    assert not auth.get_user(client).is_authenticated

    new = client.post(
        reverse("account_login"), {"login": verified_user.email, "password": NEW_PASSWORD}
    )
    assert new.status_code == 302
    assert new["Location"] == reverse("registration:my_trainings")
    assert auth.get_user(client) == verified_user


def _assert_site_page(response) -> str:
    assert response.status_code == 200
    html = _text(response)
    assert 'class="site-header"' in html and "Polaris Insight Center" in html
    assert "css/site." in html
    assert "<style" not in html  # nothing from allauth's default layout
    assert "Menu:" not in html  # allauth's default menu
    assert 'class="col-md-8 col-lg-6"' in html
    assert html.count("<h1") == 1
    assert html.count("<main") == 1
    return html


ANONYMOUS_PAGES = [
    "account_login",
    "account_signup",
    "account_reset_password",
    "account_reset_password_done",
    "account_email_verification_sent",
    "account_inactive",
]
SIGNED_IN_PAGES = ["account_change_password", "account_email", "account_logout"]


@pytest.mark.django_db
@pytest.mark.parametrize("name", ANONYMOUS_PAGES)
def test_entrance_pages_use_the_site_layout(client, name):
    _assert_site_page(client.get(reverse(name)))


@pytest.mark.django_db
@pytest.mark.parametrize("name", SIGNED_IN_PAGES)
def test_account_pages_use_the_site_layout(client, verified_user, name):
    client.force_login(verified_user)
    html = _assert_site_page(client.get(reverse(name)))
    assert 'aria-label="Your account"' in html
    assert 'aria-current="page"' in html


@pytest.mark.django_db
def test_reauthenticate_page_uses_the_site_layout(client, verified_user):
    client.force_login(verified_user)
    html = _assert_site_page(client.get(reverse("account_reauthenticate")))
    assert '<label for="id_password"' in html


@pytest.mark.django_db
def test_bad_confirmation_and_reset_links_explain_what_to_do(client):
    bad_confirm = _assert_site_page(client.get(reverse("account_confirm_email", args=["nope"])))
    assert "expired or is not valid" in bad_confirm
    bad_reset = client.get(reverse("account_reset_password_from_key", args=["zz", "bad-key"]))
    assert "ask for a new password reset link" in _assert_site_page(bad_reset)


@pytest.mark.django_db
def test_messages_are_shown_once(client, verified_user):
    client.force_login(verified_user)
    response = client.post(
        reverse("account_email"), {"action_send": "", "email": verified_user.email}, follow=True
    )
    html = _assert_site_page(response)
    flashed = [str(m) for m in response.context["messages"]]
    assert flashed
    for text in flashed:
        assert html.count(text) == 1


@pytest.mark.django_db
def test_email_page_groups_addresses_with_a_legend(client, verified_user):
    client.force_login(verified_user)
    html = _text(client.get(reverse("account_email")))
    assert "<fieldset" in html and "<legend" in html
    assert re.search(
        r'<label for="email_radio_\d+" class="form-check-label">\s*robin@example.com', html
    )
    assert 'class="btn btn-outline-danger"' in html  # Remove
    assert '<label for="id_email"' in html  # Add an email address


@pytest.mark.django_db
def test_rate_limited_page_template_uses_the_site_layout():
    request = RequestFactory().get("/accounts/password/reset/")
    request.user = AnonymousUser()
    html = render_to_string("account/429.html", request=request)
    assert "Too many attempts" in html
    assert 'class="site-header"' in html and 'class="col-md-8 col-lg-6"' in html
    assert "<style" not in html
