"""Logging in with GitHub and Kakao: the API in-process, allauth talking to the fake provider over HTTP."""

from __future__ import annotations

import secrets
import threading
import time
from datetime import timedelta
from urllib.parse import parse_qsl, urlsplit

import httpx
import pytest
import time_machine
from allauth.socialaccount.models import SocialAccount
from django.core import mail
from django.db import connections
from django.test import Client
from django.utils import timezone
from rest_framework.test import APIClient

from accounts.models import SocialLoginCode, User
from accounts.social.services import pkce_challenge
from accounts.tests.factories import PASSWORD, UserFactory
from accounts.tokens import refresh_for_login
from conftest import bearer_client
from testsupport.servers import start_fake_oauth

SPA = "http://spa.example/app/"


@pytest.fixture(scope="module")
def fake_provider():
    server = start_fake_oauth()
    yield server.url
    server.stop()


@pytest.fixture
def providers(fake_provider, settings):
    settings.SOCIAL_LOGIN_REDIRECT_URL = SPA
    settings.GITHUB_URL = f"{fake_provider}/github"
    settings.GITHUB_CLIENT_ID, settings.GITHUB_CLIENT_SECRET = "fake-github-app", "fake-github-secret"
    settings.KAKAO_AUTH_URL = settings.KAKAO_API_URL = f"{fake_provider}/kakao"
    settings.KAKAO_CLIENT_ID, settings.KAKAO_CLIENT_SECRET = "fake-kakao-app", ""
    settings.SOCIALACCOUNT_REQUESTS_TIMEOUT = 2
    return fake_provider


class Browser:
    """A browser's part of the flow: our API in-process (with its session cookie), the provider over HTTP."""

    def __init__(self):
        self.client = Client()
        self.state = secrets.token_urlsafe(16)
        self.verifier = secrets.token_urlsafe(48)

    def start(self, provider: str, *, start_url: str | None = None):
        path = urlsplit(start_url).path if start_url else f"/api/v1/auth/social/{provider}/start/"
        query = dict(parse_qsl(urlsplit(start_url).query)) if start_url else {}
        query |= {"state": self.state, "code_challenge": pkce_challenge(self.verifier)}
        return self.client.get(path, query)

    def consent(self, authorize_url: str, *, decision: str = "allow", **fields: str) -> str:
        """Answer the provider's consent page like its form would; returns where it sends the browser."""
        page = httpx.get(authorize_url)
        assert page.status_code == 200, page.text
        form = dict(parse_qsl(urlsplit(authorize_url).query)) | {"decision": decision}
        form |= {name: value for name, value in fields.items() if value is not None}
        answer = httpx.post(authorize_url.split("?")[0], data=form)
        assert answer.status_code == 302, answer.text
        return answer.headers["location"]

    def come_back(self, callback_url: str):
        parts = urlsplit(callback_url)
        return self.client.get(parts.path, dict(parse_qsl(parts.query)))

    def log_in(self, provider: str = "github", *, start_url: str | None = None, **consent) -> dict:
        """The whole round trip; returns the fragment the SPA receives."""
        started = self.start(provider, start_url=start_url)
        assert started.status_code == 302, started.content
        back = self.come_back(self.consent(started["Location"], **consent))
        return spa_fragment(back)

    def exchange(self, code: str, verifier: str | None = None):
        return APIClient().post(
            "/api/v1/auth/social/exchange/", {"code": code, "code_verifier": verifier or self.verifier}, format="json"
        )


def spa_fragment(response) -> dict:
    assert response.status_code == 302
    location = response["Location"]
    assert location.startswith(SPA + "#"), location
    assert "?" not in location, "nothing but the fragment is added to SOCIAL_LOGIN_REDIRECT_URL"
    return dict(parse_qsl(urlsplit(location).fragment))


def github(login: str = "octocat", email: str | None = "octocat@example.com", verified: bool = True, **more):
    return {
        "login": login,
        "name": login.title(),
        "email": email or "",
        "email_verified": "on" if verified else None,
    } | more


def me(access: str) -> dict:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {access}")
    answer = client.get("/api/v1/auth/me/")
    assert answer.status_code == 200, answer.content
    return answer.json()


def logged_in(browser: Browser, fragment: dict) -> dict:
    assert set(fragment) == {"code", "state"}, fragment
    assert fragment["state"] == browser.state
    tokens = browser.exchange(fragment["code"])
    assert tokens.status_code == 200, tokens.content
    assert set(tokens.json()) == {"access", "refresh"}
    return me(tokens.json()["access"])


pytestmark = pytest.mark.django_db


def test_enabled_providers_are_listed_without_auth(providers, settings):
    assert APIClient().get("/api/v1/auth/social/").json() == [
        {"id": "github", "name": "GitHub"},
        {"id": "kakao", "name": "Kakao"},
    ]
    settings.KAKAO_CLIENT_ID = ""
    assert APIClient().get("/api/v1/auth/social/").json() == [{"id": "github", "name": "GitHub"}]


def test_first_github_login_creates_a_user_with_the_verified_email_and_no_password(providers):
    browser = Browser()
    account = logged_in(browser, browser.log_in(**github()))

    assert account["email"] == "octocat@example.com"
    assert account["email_verified"] is True
    assert account["has_password"] is False
    assert [linked["provider"] for linked in account["social_accounts"]] == ["github"]
    user = User.objects.get(email="octocat@example.com")
    assert not user.has_usable_password()
    assert APIClient().post(
        "/api/v1/auth/token/", {"email": "octocat@example.com", "password": ""}, format="json"
    ).status_code in (400, 401)


def test_second_login_with_the_same_provider_account_is_the_same_user(providers):
    browser = Browser()
    first = logged_in(browser, browser.log_in(**github("mona", "mona@example.com")))
    again = Browser()
    # The provider's email changed meanwhile: the account is found by the provider's id, not the email.
    second = logged_in(again, again.log_in(**github("mona", "mona-new@example.com")))

    assert second["id"] == first["id"]
    assert User.objects.count() == 1
    assert SocialAccount.objects.count() == 1


def test_unverified_email_matches_nobody_and_is_not_stored(providers):
    existing = UserFactory(email="taken@example.com")
    browser = Browser()
    account = logged_in(browser, browser.log_in(**github("squatter", "taken@example.com", verified=False)))

    assert account["id"] != existing.pk
    assert account["email"] is None
    assert SocialAccount.objects.get().user_id == account["id"]


def test_verified_email_of_an_existing_user_is_an_email_conflict_and_creates_nothing(providers):
    UserFactory(email="owner@example.com", email_verified=True)
    browser = Browser()
    fragment = browser.log_in(**github("owner-on-github", "Owner@Example.com"))

    assert fragment == {"error": "email_conflict", "state": browser.state}
    assert User.objects.count() == 1
    assert not SocialAccount.objects.exists()


def test_an_unverified_password_account_loses_its_address_to_a_verified_social_login(
    providers, django_capture_on_commit_callbacks
):
    """The pre-account-takeover: someone signs up first with an address that is not theirs."""
    password = "squatters-password-1"
    signup = {"email": "real@example.com", "password": password}
    assert APIClient().post("/api/v1/auth/signup/", signup, format="json").status_code == 201
    squatter = APIClient().post("/api/v1/auth/token/", signup, format="json").json()
    mail.outbox.clear()

    browser = Browser()
    with django_capture_on_commit_callbacks(execute=True):
        fragment = browser.log_in(**github("real-owner", "real@example.com"))
    owner = logged_in(browser, fragment)

    assert owner["email"] == "real@example.com" and owner["email_verified"] is True
    squatter_user = User.objects.exclude(pk=owner["id"]).get()
    assert squatter_user.email is None
    assert me_status(squatter["access"]) == 401
    refresh = APIClient().post("/api/v1/auth/token/refresh/", {"refresh": squatter["refresh"]}, format="json")
    assert refresh.status_code == 401
    assert APIClient().post("/api/v1/auth/token/", signup, format="json").status_code == 401
    assert [message.to for message in mail.outbox] == [["real@example.com"]]
    assert "GitHub" in mail.outbox[0].body and "never confirmed" in mail.outbox[0].body


def me_status(access: str) -> int:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {access}")
    return client.get("/api/v1/auth/me/").status_code


def test_a_deactivated_accounts_address_is_not_claimed(providers):
    UserFactory(email="banned@example.com", email_verified=False, is_active=False)
    assert Browser().log_in(**github("someone", "banned@example.com"))["error"] == "email_conflict"
    assert User.objects.count() == 1


def test_a_kakao_address_kakao_no_longer_vouches_for_is_not_verified():
    from accounts.social.providers import KakaoProvider

    account = {"email": "moved@kakao.example", "is_email_verified": True, "is_email_valid": False}
    provider = object.__new__(KakaoProvider)  # what it does with a profile needs no app or request
    [address] = provider.extract_email_addresses({"kakao_account": account})
    assert address.verified is False
    account["is_email_valid"] = True
    [address] = provider.extract_email_addresses({"kakao_account": account})
    assert address.verified is True


def test_kakao_login_with_a_verified_email(providers):
    browser = Browser()
    account = logged_in(
        browser,
        browser.log_in("kakao", nickname="라이언", email="ryan@kakao.example", email_verified="on", share_email="on"),
    )
    assert account["email"] == "ryan@kakao.example"
    assert account["nickname"] == "라이언"
    assert account["social_accounts"][0]["provider"] == "kakao"


def test_kakao_without_email_consent_creates_a_user_without_email(providers):
    browser = Browser()
    account = logged_in(
        browser, browser.log_in("kakao", nickname="no-email", email="x@kakao.example", email_verified="on")
    )
    assert account["email"] is None
    assert account["has_password"] is False


def test_kakao_unverified_email_is_not_used(providers):
    UserFactory(email="ryan@kakao.example")
    browser = Browser()
    account = logged_in(browser, browser.log_in("kakao", nickname="r", email="ryan@kakao.example", share_email="on"))
    assert account["email"] is None


def test_denied_consent_comes_back_as_access_denied(providers):
    browser = Browser()
    fragment = browser.log_in(decision="deny")
    assert fragment == {"error": "access_denied", "state": browser.state}
    assert not User.objects.exists()


@pytest.mark.parametrize("simulate", ["token_error", "profile_error", "token_timeout", "profile_timeout"])
def test_provider_failure_or_timeout_is_failed_and_creates_nothing(providers, simulate):
    browser = Browser()
    fragment = browser.log_in(**github(simulate=simulate))
    assert fragment == {"error": "failed", "state": browser.state}
    assert not User.objects.exists()
    assert not SocialAccount.objects.exists()


def test_forged_state_is_refused(providers):
    browser = Browser()
    started = browser.start("github")
    callback = browser.consent(started["Location"], **github())
    forged = callback.replace(f"state={dict(parse_qsl(urlsplit(callback).query))['state']}", "state=forgedforgedforged")
    assert spa_fragment(browser.come_back(forged)) == {"error": "failed"}
    # Another browser (another session) cannot use this browser's state either.
    assert spa_fragment(Browser().come_back(callback)) == {"error": "failed"}
    assert not User.objects.exists()


def test_replayed_callback_is_refused(providers):
    browser = Browser()
    started = browser.start("github")
    callback = browser.consent(started["Location"], **github())
    assert set(spa_fragment(browser.come_back(callback))) == {"code", "state"}
    assert spa_fragment(browser.come_back(callback)) == {"error": "failed"}


def test_a_code_works_once(providers):
    browser = Browser()
    fragment = browser.log_in(**github())
    assert browser.exchange(fragment["code"]).status_code == 200
    replay = browser.exchange(fragment["code"])
    assert replay.status_code == 400
    assert "already used" in replay.json()["detail"]


def test_a_code_needs_the_verifier_of_its_challenge(providers):
    browser = Browser()
    fragment = browser.log_in(**github())
    wrong = browser.exchange(fragment["code"], verifier=secrets.token_urlsafe(48))
    assert wrong.status_code == 400
    malformed = browser.exchange(fragment["code"], verifier="short")
    assert malformed.status_code == 400
    assert "code_verifier" in malformed.json()
    # A wrong guess does not burn the code for the browser that holds the right verifier.
    assert browser.exchange(fragment["code"]).status_code == 200


def test_a_code_expires_after_60_seconds(providers):
    browser = Browser()
    fragment = browser.log_in(**github())
    with time_machine.travel(timezone.now() + timedelta(seconds=61)):
        assert browser.exchange(fragment["code"]).status_code == 400


def test_codes_are_stored_hashed(providers):
    browser = Browser()
    fragment = browser.log_in(**github())
    stored = SocialLoginCode.objects.get()
    assert fragment["code"] not in (stored.code_hash, stored.code_challenge)
    assert len(stored.code_hash) == 64


@pytest.mark.django_db(transaction=True)
def test_ten_exchanges_of_one_code_at_once_give_one_token_pair(providers):
    browser = Browser()
    fragment = browser.log_in(**github())
    barrier = threading.Barrier(10)
    statuses = []

    def exchange():
        barrier.wait()
        try:
            statuses.append(browser.exchange(fragment["code"]).status_code)
        finally:
            connections.close_all()  # this thread's own connection

    threads = [threading.Thread(target=exchange) for _ in range(10)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(statuses) == [200] + [400] * 9


@pytest.mark.parametrize(
    "query",
    [
        {},
        {"code_challenge": pkce_challenge("v" * 43)},
        {"state": "statestate"},
        {"state": "short", "code_challenge": pkce_challenge("v" * 43)},
        {"state": "statestate", "code_challenge": "not-a-challenge"},
        {"state": "state<script>", "code_challenge": pkce_challenge("v" * 43)},
    ],
)
def test_start_without_a_well_formed_state_and_challenge_is_400(providers, query):
    answer = Client().get("/api/v1/auth/social/github/start/", query)
    assert answer.status_code == 400
    assert answer["Content-Type"] == "application/json"


def test_unknown_or_disabled_provider_is_404(providers, settings):
    query = {"state": "statestate", "code_challenge": pkce_challenge("v" * 43)}
    assert Client().get("/api/v1/auth/social/facebook/start/", query).status_code == 404
    settings.KAKAO_CLIENT_ID = ""
    assert Client().get("/api/v1/auth/social/kakao/start/", query).status_code == 404


def test_start_sends_the_browser_to_the_provider_with_its_own_state_and_pkce(providers):
    browser = Browser()
    started = browser.start("github")
    query = dict(parse_qsl(urlsplit(started["Location"]).query))
    assert started["Location"].startswith(f"{providers}/github/login/oauth/authorize?")
    assert query["state"] != browser.state, "the SPA's state never goes to the provider"
    assert query["code_challenge_method"] == "S256"
    assert query["code_challenge"] != pkce_challenge(browser.verifier)
    assert query["redirect_uri"] == "http://testserver/api/v1/auth/social/github/callback/"


def test_no_redirect_carries_a_token(providers):
    browser = Browser()
    started = browser.start("github")
    callback = browser.consent(started["Location"], **github())
    back = browser.come_back(callback)
    for location in (started["Location"], back["Location"]):
        assert "access" not in location and "refresh" not in location and "eyJ" not in location


# --- Linking and unlinking --------------------------------------------------------------------


def link_url(user, provider: str = "github") -> str:
    """A start URL that links `provider` to `user`, asked for as they would: just logged in, and with
    their password if they have one."""
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {refresh_for_login(user).access_token}")
    body = {"current_password": PASSWORD} if user.has_usable_password() else {}
    answer = client.post(f"/api/v1/auth/social/{provider}/link/", body, format="json")
    assert answer.status_code == 200, answer.content
    return answer.json()["start_url"]


def test_linking_then_logging_in_through_the_provider(providers, django_capture_on_commit_callbacks):
    user = UserFactory(email="me@example.com")
    browser = Browser()
    # A GitHub account with a different address: linking is by the logged-in user, not by email.
    fragment = browser.log_in(start_url=link_url(user), **github("me-on-github", "other@example.com"))
    with django_capture_on_commit_callbacks(execute=True):
        account = logged_in(browser, fragment)
    assert account["id"] == user.pk
    assert account["email"] == "me@example.com"
    assert account["has_password"] is True
    assert [linked["provider"] for linked in account["social_accounts"]] == ["github"]

    later = Browser()
    assert logged_in(later, later.log_in(**github("me-on-github", "other@example.com")))["id"] == user.pk
    assert [message.subject for message in mail.outbox] == ["GitHub can now log in to your account"]


def test_linking_the_provider_account_whose_email_conflicted(providers):
    user = UserFactory(email="owner@example.com", email_verified=True)
    assert Browser().log_in(**github("owner", "owner@example.com"))["error"] == "email_conflict"
    browser = Browser()
    assert (
        logged_in(browser, browser.log_in(start_url=link_url(user), **github("owner", "owner@example.com")))["id"]
        == user.pk
    )


def test_a_link_is_made_only_by_the_exchange_of_whoever_holds_the_verifier(providers):
    victim_browser = Browser()
    attacker = UserFactory(email="attacker@example.com")
    # The attacker sends their own start URL to the victim, who consents with their GitHub account.
    fragment = victim_browser.log_in(start_url=link_url(attacker), **github("victim"))
    assert not SocialAccount.objects.exists(), "nothing is linked before the code is exchanged"
    # The victim's SPA has not the attacker's state; the attacker has not the code.
    assert fragment["state"] == victim_browser.state  # (in this test the browser made both)
    assert victim_browser.exchange(fragment["code"], verifier=secrets.token_urlsafe(48)).status_code == 400
    assert not SocialAccount.objects.exists()


def test_a_link_ticket_works_once(providers):
    user = UserFactory()
    start_url = link_url(user)
    assert Browser().start("github", start_url=start_url).status_code == 302
    again = Browser().start("github", start_url=start_url)
    assert again.status_code == 400
    assert "link" in again.json()


@pytest.mark.parametrize(
    "refused_start",
    [
        lambda browser, url: browser.client.get(url.replace("/github/", "/kakao/")),  # another provider
        lambda browser, url: browser.client.get(url.replace("/github/", "/gitlab/")),  # no such provider
        lambda browser, url: browser.client.get(f"{url}&state=bad+state!"),  # a malformed start
    ],
)
def test_a_link_ticket_is_spent_by_any_start_that_carries_it(providers, refused_start):
    """Probe 2, finding 2: a refused start left the ticket (read off an access log) usable."""
    user = UserFactory()
    start_url = link_url(user)
    first = refused_start(Browser(), start_url)

    again = Browser().start("github", start_url=start_url)

    assert first.status_code in (400, 404)
    assert again.status_code == 400
    assert "link" in again.json()


@pytest.mark.django_db(transaction=True)
def test_the_access_log_has_paths_without_their_query_strings(api_server, tmp_path):
    log = tmp_path / "server.log"
    server = api_server(workers=1, log_path=log, ACCESS_LOG="true", LOG_LEVEL="INFO")

    httpx.get(f"{server.url}/api/v1/auth/social/github/start/?link=secret-ticket-123&state=s", timeout=10)
    httpx.get(f"{server.url}/api/v1/chats/?search=my+private+words", timeout=10)
    server.stop()

    written = log.read_text()
    assert "/api/v1/auth/social/github/start/" in written and "/api/v1/chats/" in written
    assert "secret-ticket-123" not in written and "private" not in written


def test_linking_a_provider_account_of_another_user_is_refused(providers):
    browser = Browser()
    logged_in(browser, browser.log_in(**github("shared")))
    other = UserFactory()
    linking = Browser()
    assert linking.log_in(start_url=link_url(other), **github("shared")) == {
        "error": "already_linked",
        "state": linking.state,
    }


def test_linking_needs_a_jwt_not_an_api_key(providers, user):
    from accounts.api_keys import api_key_create

    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {api_key_create(user=user, name='script').key}")
    assert client.post("/api/v1/auth/social/github/link/").status_code == 401
    assert APIClient().post("/api/v1/auth/social/github/link/").status_code == 401


def test_unlinking_the_last_way_to_log_in_is_refused(providers):
    browser = Browser()
    account = logged_in(browser, browser.log_in(**github()))
    user = User.objects.get(pk=account["id"])
    client = APIClient()
    client.force_authenticate(user)

    refused = client.delete("/api/v1/auth/social/github/")
    assert refused.status_code == 400
    assert "only way" in refused.json()["detail"]
    assert SocialAccount.objects.filter(user_id=account["id"]).exists()

    kakao = Browser()
    logged_in(kakao, kakao.log_in("kakao", start_url=link_url(user, "kakao"), nickname="k"))
    assert client.delete("/api/v1/auth/social/github/").status_code == 204
    assert client.delete("/api/v1/auth/social/github/").status_code == 404
    assert client.delete("/api/v1/auth/social/kakao/").status_code == 400


def test_a_password_user_can_unlink_their_only_provider(providers):
    user = UserFactory()
    browser = Browser()
    logged_in(browser, browser.log_in(start_url=link_url(user), **github("pw-user")))
    client = APIClient()
    client.force_authenticate(user)
    assert client.delete("/api/v1/auth/social/github/").status_code == 204
    assert client.get("/api/v1/auth/me/").json()["social_accounts"] == []


# --- On a real server -------------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_a_provider_that_hangs_holds_up_no_other_request_of_the_worker(fake_provider, api_server):
    """One worker: while its callback waits on a provider that does not answer, other views still answer."""
    server = api_server(
        workers=1,
        GITHUB_CLIENT_ID="fake-github-app",
        GITHUB_CLIENT_SECRET="fake",
        GITHUB_URL=f"{fake_provider}/github",
        SOCIAL_LOGIN_REDIRECT_URL=SPA,
        SOCIAL_PROVIDER_TIMEOUT="4",
    )
    browser = httpx.Client(base_url=server.url)
    query = {"state": "statestate", "code_challenge": pkce_challenge("v" * 43)}
    started = browser.get("/api/v1/auth/social/github/start/", params=query)
    assert started.status_code == 302
    callback = Browser().consent(started.headers["location"], **github(simulate="token_timeout"))
    ended = {}

    def come_back():
        began = time.monotonic()
        ended["response"] = browser.get(callback)
        ended["seconds"] = time.monotonic() - began

    waiting = threading.Thread(target=come_back)
    waiting.start()
    time.sleep(0.5)
    began = time.monotonic()
    assert httpx.get(f"{server.url}/api/v1/auth/social/").status_code == 200
    assert httpx.post(f"{server.url}/api/v1/auth/token/", json={"email": "a@b.c", "password": "x"}).status_code == 401
    assert time.monotonic() - began < 2
    waiting.join()
    assert ended["seconds"] >= 3.5
    assert spa_fragment_of(ended["response"].headers["location"]) == {"error": "failed", "state": "statestate"}


def spa_fragment_of(location: str) -> dict:
    assert location.startswith(SPA + "#"), location
    return dict(parse_qsl(urlsplit(location).fragment))


# Probe 2, finding 1 (and the review of its fix): a stolen access token must not be enough to add
# a way into the account (a provider login would then stamp a fresh login time, and mint keys).
@pytest.mark.parametrize("given", [{}, {"current_password": "not-the-password"}])
def test_linking_asks_for_the_current_password(providers, given):
    user = UserFactory()

    refused = bearer_client(user).post("/api/v1/auth/social/github/link/", given, format="json")

    assert refused.status_code == 403
    assert "current password" in refused.json()["detail"]
    assert not SocialLoginCode.objects.filter(user=user).exists()


def test_a_provider_only_account_links_another_only_soon_after_logging_in(providers, settings):
    settings.API_KEY_REAUTH_MINUTES = 10
    user = UserFactory()
    user.set_unusable_password()
    user.save()
    fresh, stale = refresh_for_login(user), refresh_for_login(user, auth_time=int(time.time()) - 11 * 60)

    def link(refresh):
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Bearer {refresh.access_token}")
        return client.post("/api/v1/auth/social/kakao/link/", {}, format="json")

    assert link(fresh).status_code == 200
    assert link(stale).status_code == 403
