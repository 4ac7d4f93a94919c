"""Email verification, password reset and change: the mails, their links, and the sessions they end."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
import time_machine
from django.core import mail
from django.utils import timezone
from rest_framework.test import APIClient

from accounts.models import User
from accounts.tests.factories import UserFactory

pytestmark = pytest.mark.django_db
SPA = "http://spa.example/chatbot/"
PASSWORD = "a-long-enough-password-1"


@pytest.fixture(autouse=True)
def _spa(settings):
    settings.SPA_URL = SPA


def link_in(message) -> str:
    links = re.findall(r"http\S+", message.body)
    assert len(links) == 1, message.body
    assert links[0].startswith(SPA + "#/")
    return links[0]


def verification_key(message) -> str:
    return link_in(message).split("#/verify-email/")[1]


def reset_parts(message) -> tuple[str, str]:
    uid, token = link_in(message).split("#/reset-password/")[1].split("/")
    return uid, token


def sign_up(email: str = "new@example.com") -> dict:
    answer = APIClient().post("/api/v1/auth/signup/", {"email": email, "password": PASSWORD}, format="json")
    assert answer.status_code == 201, answer.content
    return answer.json()


def log_in(email: str, password: str = PASSWORD):
    return APIClient().post("/api/v1/auth/token/", {"email": email, "password": password}, format="json")


def bearer(access: str) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {access}")
    return client


def verify(key: str):
    return APIClient().post("/api/v1/auth/email/verify/", {"key": key}, format="json")


# --- Verification -------------------------------------------------------------------------------


def test_signup_mails_a_link_that_verifies_the_address_once():
    sign_up()
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == ["new@example.com"]
    tokens = log_in("new@example.com").json()
    assert bearer(tokens["access"]).get("/api/v1/auth/me/").json()["email_verified"] is False

    assert verify(verification_key(mail.outbox[0])).status_code == 204
    assert bearer(tokens["access"]).get("/api/v1/auth/me/").json()["email_verified"] is True
    again = verify(verification_key(mail.outbox[0]))
    assert again.status_code == 400
    assert "already used" in again.json()["detail"]


def test_unverified_accounts_still_log_in_with_their_password():
    sign_up()
    assert log_in("new@example.com").status_code == 200


@pytest.mark.parametrize(
    "tamper", [lambda key: key[:-2] + "xx", lambda key: "x" + key, lambda key: "", lambda key: "a" * 600]
)
def test_a_tampered_key_is_refused(tamper):
    sign_up()
    answer = verify(tamper(verification_key(mail.outbox[0])))
    assert answer.status_code == 400
    assert not User.objects.get().email_verified


def test_a_key_expires_after_the_configured_days(settings):
    settings.EMAIL_VERIFICATION_DAYS = 3
    sign_up()
    with time_machine.travel(timezone.now() + timedelta(days=3, minutes=1)):
        assert verify(verification_key(mail.outbox[0])).status_code == 400
    assert verify(verification_key(mail.outbox[0])).status_code == 204


def test_resend_mails_a_new_link_and_is_throttled(settings):
    settings.EMAIL_RESEND_THROTTLE_RATE = "2/hour"
    sign_up()
    client = bearer(log_in("new@example.com").json()["access"])
    assert client.post("/api/v1/auth/email/verify/resend/").status_code == 204
    assert client.post("/api/v1/auth/email/verify/resend/").status_code == 204
    assert client.post("/api/v1/auth/email/verify/resend/").status_code == 429
    assert len(mail.outbox) == 3
    assert verify(verification_key(mail.outbox[-1])).status_code == 204


def test_resend_for_a_verified_address_is_400():
    user = UserFactory(email_verified=True)
    client = APIClient()
    client.force_authenticate(user)
    assert client.post("/api/v1/auth/email/verify/resend/").status_code == 400
    assert mail.outbox == []


# --- Password reset -----------------------------------------------------------------------------


def request_reset(email: str):
    return APIClient().post("/api/v1/auth/password/reset/", {"email": email}, format="json")


NEW_PASSWORD = "a-brand-new-password-2"


def confirm_reset(uid: str, token: str, new_password: str = NEW_PASSWORD):
    return APIClient().post(
        "/api/v1/auth/password/reset/confirm/",
        {"uid": uid, "token": token, "new_password": new_password},
        format="json",
    )


def test_reset_answers_the_same_whether_or_not_the_address_has_an_account():
    UserFactory(email="known@example.com")
    known, unknown = request_reset("Known@Example.com"), request_reset("unknown@example.com")
    assert (known.status_code, known.content) == (unknown.status_code, unknown.content) == (204, b"")
    assert [message.to for message in mail.outbox] == [["known@example.com"]]


def test_reset_sets_a_new_password_and_ends_every_session():
    user = UserFactory(email="me@example.com", password=PASSWORD)
    before = log_in("me@example.com").json()
    request_reset("me@example.com")
    uid, token = reset_parts(mail.outbox[0])

    assert confirm_reset(uid, token).status_code == 204
    assert log_in("me@example.com").status_code == 401
    assert log_in("me@example.com", "a-brand-new-password-2").status_code == 200
    refresh = APIClient().post("/api/v1/auth/token/refresh/", {"refresh": before["refresh"]}, format="json")
    assert refresh.status_code == 401
    assert bearer(before["access"]).get("/api/v1/auth/me/").status_code == 401
    user.refresh_from_db()
    assert user.email_verified, "following the mailed link proves the address"


def test_a_reset_link_works_once():
    UserFactory(email="me@example.com")
    request_reset("me@example.com")
    uid, token = reset_parts(mail.outbox[0])
    assert confirm_reset(uid, token).status_code == 204
    second = confirm_reset(uid, token, "yet-another-password-3")
    assert second.status_code == 400
    assert "already used" in second.json()["detail"]


def test_a_reset_link_expires_after_an_hour():
    UserFactory(email="me@example.com")
    request_reset("me@example.com")
    uid, token = reset_parts(mail.outbox[0])
    with time_machine.travel(timezone.now() + timedelta(hours=1, minutes=1)):
        assert confirm_reset(uid, token).status_code == 400


@pytest.mark.parametrize("bad", [{"uid": "AAAA"}, {"uid": "!!"}, {"token": "abc-def"}, {"uid": ""}])
def test_a_tampered_reset_link_is_refused(bad):
    UserFactory(email="me@example.com")
    request_reset("me@example.com")
    uid, token = reset_parts(mail.outbox[0])
    parts = {"uid": uid, "token": token} | bad
    assert confirm_reset(parts["uid"], parts["token"]).status_code == 400


def test_a_weak_new_password_is_refused_and_the_link_still_works():
    UserFactory(email="me@example.com")
    request_reset("me@example.com")
    uid, token = reset_parts(mail.outbox[0])
    weak = confirm_reset(uid, token, "123")
    assert weak.status_code == 400
    assert "new_password" in weak.json()
    assert confirm_reset(uid, token).status_code == 204


def test_reset_is_throttled_per_address_and_per_ip(settings):
    settings.PASSWORD_RESET_THROTTLE_RATE = "2/hour"
    UserFactory(email="a@example.com")
    UserFactory(email="b@example.com")
    assert [request_reset("A@example.com ").status_code for _ in range(3)] == [204, 204, 204]
    assert request_reset("b@example.com").status_code == 204, "another address has its own count"
    assert [message.to for message in mail.outbox] == [["a@example.com"], ["a@example.com"], ["b@example.com"]]
    settings.AUTH_THROTTLE_RATE = "5/minute"
    from django.core.cache import cache

    cache.clear()
    statuses = [request_reset(f"user{n}@example.com").status_code for n in range(6)]
    assert statuses == [204] * 5 + [429]


def test_a_mail_server_that_fails_does_not_fail_the_request(settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_TIMEOUT = "127.0.0.1", 9, 1
    UserFactory(email="me@example.com")
    assert request_reset("me@example.com").status_code == 204
    signup = APIClient().post("/api/v1/auth/signup/", {"email": "x@example.com", "password": PASSWORD}, format="json")
    assert signup.status_code == 201


def test_malformed_reset_requests_are_400():
    assert request_reset("not-an-address").status_code == 400
    assert APIClient().post("/api/v1/auth/password/reset/", {"email": ["a@b.c"]}, format="json").status_code == 400


# --- Password change ------------------------------------------------------------------------------


def change(access: str, current: str, new: str):
    return bearer(access).post(
        "/api/v1/auth/password/change/", {"current_password": current, "new_password": new}, format="json"
    )


def test_change_needs_the_current_password_and_ends_every_session():
    UserFactory(email="me@example.com", password=PASSWORD)
    tokens = log_in("me@example.com").json()
    wrong = change(tokens["access"], "not-it", "a-brand-new-password-2")
    assert wrong.status_code == 400
    assert "current_password" in wrong.json()
    assert change(tokens["access"], PASSWORD, "short").status_code == 400

    assert change(tokens["access"], PASSWORD, "a-brand-new-password-2").status_code == 204
    assert bearer(tokens["access"]).get("/api/v1/auth/me/").status_code == 401
    # Logging in again at once (the same second as the change) works.
    fresh = log_in("me@example.com", "a-brand-new-password-2")
    assert fresh.status_code == 200
    assert bearer(fresh.json()["access"]).get("/api/v1/auth/me/").status_code == 200


def test_change_needs_a_jwt_not_an_api_key():
    from accounts.api_keys import api_key_create

    user = UserFactory(password=PASSWORD)
    client = bearer(api_key_create(user=user, name="script").key)
    answer = client.post(
        "/api/v1/auth/password/change/", {"current_password": PASSWORD, "new_password": "a-brand-new-password-2"}
    )
    assert answer.status_code == 401


@pytest.mark.django_db(transaction=True)
def test_one_reset_link_used_ten_times_at_once_sets_one_password():
    import threading

    from django.db import connections

    UserFactory(email="me@example.com")
    request_reset("me@example.com")
    uid, token = reset_parts(mail.outbox[0])
    barrier = threading.Barrier(10)
    statuses = []

    def confirm(n: int):
        barrier.wait()
        try:
            statuses.append(confirm_reset(uid, token, f"racing-password-number-{n}").status_code)
        finally:
            connections.close_all()  # this thread's own connection

    threads = [threading.Thread(target=confirm, args=(n,)) for n in range(10)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(statuses) == [204] + [400] * 9


def test_make_run_prints_each_mail_as_one_readable_block():
    import io

    from core.mail import ReadableConsoleBackend

    stream = io.StringIO()
    long_link = SPA + "#/verify-email/" + "k" * 120
    message = mail.EmailMessage("Confirm your email address", f"Open:\n\n{long_link}\n", "from@x", ["to@example.com"])
    ReadableConsoleBackend(stream=stream).send_messages([message])
    printed = stream.getvalue()
    assert "Mail to to@example.com" in printed and "Subject: Confirm your email address" in printed
    assert long_link in printed.splitlines(), "the link is on one line, not quoted-printable"


def test_asking_for_someones_reset_many_times_never_blocks_them_or_tells_anything(settings):
    settings.PASSWORD_RESET_THROTTLE_RATE = "2/hour"
    UserFactory(email="victim@example.com")
    statuses = [request_reset("victim@example.com").status_code for _ in range(5)]
    assert statuses == [204] * 5, "over the per-address limit the answer is the same, and no mail goes"
    assert len(mail.outbox) == 2


def test_a_reset_revokes_api_keys_and_a_squatters_provider_links():
    """Someone signs up with another's address, never verifies it, links their GitHub and makes a key;
    the owner of the address resets the password and must then hold the account alone."""
    from allauth.socialaccount.models import SocialAccount

    from accounts.api_keys import api_key_create

    squatted = UserFactory(email="owner@example.com", email_verified=False)
    key = api_key_create(user=squatted, name="squatter's script").key
    SocialAccount.objects.create(user=squatted, provider="github", uid="666")
    request_reset("owner@example.com")
    uid, token = reset_parts(mail.outbox[0])

    assert confirm_reset(uid, token).status_code == 204
    assert bearer(key).get("/api/v1/auth/me/").status_code == 401
    assert not SocialAccount.objects.filter(user=squatted).exists()


def test_a_verified_users_reset_keeps_their_provider_links():
    from allauth.socialaccount.models import SocialAccount

    user = UserFactory(email="me@example.com", email_verified=True)
    SocialAccount.objects.create(user=user, provider="github", uid="1")
    request_reset("me@example.com")
    assert confirm_reset(*reset_parts(mail.outbox[0])).status_code == 204
    assert SocialAccount.objects.filter(user=user).exists()


def test_check_deploy_warns_when_mail_only_goes_to_the_console(settings):
    from accounts.checks import mail_is_delivered

    settings.EMAIL_BACKEND = "core.mail.ReadableConsoleBackend"
    assert [warning.id for warning in mail_is_delivered(None)] == ["accounts.W001"]
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    assert mail_is_delivered(None) == []
