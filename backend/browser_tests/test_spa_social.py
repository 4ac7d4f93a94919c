"""Logging in with GitHub and Kakao in the browser, through the fake provider's consent pages,
and linking and unlinking them on the account page."""

import re
from urllib.parse import parse_qs, urlsplit

import pytest
from allauth.socialaccount.models import SocialAccount
from playwright.sync_api import expect

from accounts.models import User
from accounts.social.services import pkce_challenge
from accounts.tests.factories import PASSWORD, UserFactory
from browser_tests.conftest import log_in, screenshot

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def consent_on_github(page, *, login, email="", verified=True):
    expect(page.get_by_role("heading", name="Sign in with GitHub")).to_be_visible()
    page.get_by_label("Login").fill(login)
    page.get_by_label("Name").fill("")
    page.get_by_label("Email", exact=True).fill(email)
    page.get_by_label("Email verified").set_checked(verified)
    page.get_by_role("button", name="Authorize").click()


def consent_on_kakao(page, *, nickname, email=""):
    expect(page.get_by_role("heading", name="Sign in with Kakao")).to_be_visible()
    page.get_by_label("Nickname").fill(nickname)
    page.get_by_label("Email", exact=True).fill(email)
    page.get_by_role("button", name="Agree").click()


def no_sideways_scroll(page) -> bool:
    return page.evaluate("document.scrollingElement.scrollWidth <= window.innerWidth")


def test_continue_with_github_logs_in_through_the_consent_page_and_leaves_no_code_in_the_address(social_app):
    page, _ = social_app()
    screenshot(page, "social-login-buttons")
    with page.expect_request(re.compile(r".*/api/v1/auth/social/github/start/\?.*")) as started:
        page.get_by_role("button", name="Continue with GitHub").click()
    query = parse_qs(urlsplit(started.value.url).query)
    assert re.fullmatch(r"[A-Za-z0-9_-]{22,}", query["state"][0])  # 16 random bytes or more, base64url
    challenge = query["code_challenge"][0]

    with page.expect_request("**/api/v1/auth/social/exchange/") as exchanged:
        consent_on_github(page, login="octo-e2e", email="octo@example.com")
    verifier = exchanged.value.post_data_json["code_verifier"]
    assert re.fullmatch(r"[A-Za-z0-9_-]{43}", verifier)  # 32 random bytes
    assert pkce_challenge(verifier) == challenge  # S256 of it, base64url without padding

    expect(page.get_by_role("button", name="Log out")).to_be_visible()
    expect(page.get_by_role("heading", name="Welcome")).to_be_visible()
    assert "#code" not in page.url and "code=" not in page.url and "state=" not in page.url
    assert page.url.endswith("#/chats")
    assert page.evaluate("sessionStorage.getItem('chatbot.social')") is None  # the verifier is spent
    user = User.objects.get(email="octo@example.com")
    assert user.email_verified and not user.has_usable_password()
    assert SocialAccount.objects.get(user=user).provider == "github"
    expect(page.locator(".verify-banner")).to_be_hidden()  # GitHub vouched for the address
    screenshot(page, "social-login-done")

    page.reload()  # a session like a password login's: it survives a reload
    expect(page.get_by_role("button", name="Log out")).to_be_visible()


def test_a_cancelled_consent_is_explained_on_the_log_in_page(social_app):
    page, _ = social_app()
    page.get_by_role("link", name="Create an account").click()
    page.get_by_role("button", name="Continue with Kakao").click()
    expect(page.get_by_role("heading", name="Sign in with Kakao")).to_be_visible()
    page.get_by_role("button", name="Cancel").click()

    expect(page.get_by_role("heading", name="Log in")).to_be_visible()
    expect(page.get_by_role("alert").filter(has_text="You cancelled the login.")).to_be_visible()
    assert "error=" not in page.url and page.url.endswith("#/login")
    screenshot(page, "social-login-cancelled")
    page.get_by_role("link", name="Create an account").click()  # the message belongs to that one visit
    page.get_by_role("link", name="Log in").click()
    expect(page.get_by_text("You cancelled the login.")).to_have_count(0)


def test_a_verified_email_of_an_existing_account_is_not_merged_and_the_page_says_what_to_do(social_app):
    UserFactory(email="taken@example.com", email_verified=True)
    page, _ = social_app()
    page.get_by_role("button", name="Continue with GitHub").click()
    consent_on_github(page, login="someone-else", email="taken@example.com")

    expect(page.get_by_role("alert")).to_have_text(
        "An account with this email already exists. Log in with your password, then link GitHub from your account page."
    )
    assert "error=" not in page.url
    assert User.objects.count() == 1
    screenshot(page, "social-login-email-conflict")


def test_a_code_brought_by_a_link_this_tab_did_not_start_is_not_exchanged(social_app, spa_server):
    page, _ = social_app()
    exchanges = []
    page.on("request", lambda request: "/social/exchange/" in request.url and exchanges.append(request.url))

    page.goto(f"{spa_server.url}/#code=someone-elses-code&state=not-ours-at-all")

    expect(page.get_by_role("alert")).to_contain_text("This login could not be checked")
    assert "code=" not in page.url
    assert exchanges == []


def test_a_password_user_links_kakao_on_the_account_page_then_unlinks_it(social_app):
    user = UserFactory(email="linker@example.com", email_verified=True)
    page, _ = social_app()
    log_in(page, user)
    page.get_by_role("link", name="Account", exact=True).click()
    expect(page.get_by_role("heading", name="Account", level=1)).to_be_focused()
    expect(page.locator(".account-details")).to_contain_text("linker@example.com")
    expect(page.locator(".account-details")).to_contain_text("Confirmed")
    expect(page.get_by_text("No GitHub or Kakao account is linked.")).to_be_visible()

    page.get_by_role("button", name="Link Kakao", exact=True).click()
    expect(page.get_by_role("alert")).to_contain_text("current password")  # a stolen session is not enough
    page.get_by_label("Your password, to link an account").fill(PASSWORD)
    page.get_by_role("button", name="Link Kakao", exact=True).click()
    consent_on_kakao(page, nickname="라이언", email="ryan@kakao.example")

    expect(page.get_by_role("heading", name="Account", level=1)).to_be_visible()
    expect(page.get_by_role("status").filter(has_text="Kakao is linked")).to_be_visible()
    linked = page.get_by_role("list", name="Linked accounts")
    expect(linked).to_contain_text("Kakao")
    assert "code=" not in page.url and page.url.endswith("#/account")
    expect(page.get_by_role("button", name="Link Kakao", exact=True)).to_have_count(0)
    expect(page.get_by_role("button", name="Link GitHub", exact=True)).to_be_visible()
    assert SocialAccount.objects.get(user=user).provider == "kakao"
    screenshot(page, "account-linked")
    page.set_viewport_size({"width": 375, "height": 800})
    assert no_sideways_scroll(page)
    screenshot(page, "account-phone")
    page.set_viewport_size({"width": 1200, "height": 800})

    page.get_by_role("button", name="Unlink Kakao").click()
    expect(page.get_by_text("No GitHub or Kakao account is linked.")).to_be_visible()
    expect(page.get_by_role("button", name="Link Kakao", exact=True)).to_be_visible()
    assert not SocialAccount.objects.filter(user=user).exists()


def test_the_only_way_in_of_a_provider_only_user_cannot_be_unlinked(social_app):
    page, _ = social_app()
    page.get_by_role("button", name="Continue with GitHub").click()
    consent_on_github(page, login="no-mail-octo", email="")  # no email: GitHub is the only way in
    expect(page.get_by_role("button", name="Log out")).to_be_visible()

    page.get_by_role("link", name="Account", exact=True).click()
    details = page.locator(".account-details")
    expect(details).to_contain_text("No email")
    expect(details).to_contain_text("Not set")
    expect(page.get_by_role("button", name="Change password")).to_have_count(0)  # no password to change
    page.get_by_role("button", name="Unlink GitHub").click()

    expect(page.get_by_role("alert")).to_have_text(
        "This is your only way to log in. Link another provider or set a password before removing it."
    )
    expect(page.get_by_role("list", name="Linked accounts")).to_contain_text("GitHub")
    assert SocialAccount.objects.filter(provider="github").count() == 1
    screenshot(page, "account-last-way-in")


def test_a_korean_browser_gets_the_provider_buttons_and_their_messages_in_korean(social_app):
    page, _ = social_app(locale="ko-KR")
    expect(page.get_by_role("button", name="GitHub로 계속하기")).to_be_visible()
    expect(page.get_by_role("button", name="카카오로 계속하기")).to_be_visible()
    expect(page.get_by_role("link", name="비밀번호를 잊으셨나요?")).to_be_visible()
    page.get_by_role("link", name="계정 만들기").click()
    expect(page.get_by_role("button", name="카카오로 계속하기")).to_be_visible()
    page.set_viewport_size({"width": 375, "height": 800})
    assert no_sideways_scroll(page)
    screenshot(page, "ko-signup-social-phone")
    page.set_viewport_size({"width": 1200, "height": 800})

    page.get_by_role("button", name="카카오로 계속하기").click()
    page.get_by_role("button", name="Cancel").click()
    expect(page.get_by_role("alert").filter(has_text="로그인을 취소했어요.")).to_be_visible()
    screenshot(page, "ko-social-login-cancelled")


def test_no_provider_buttons_when_the_server_enables_none(app):
    page, _ = app()
    expect(page.get_by_role("heading", name="Log in")).to_be_visible()
    page.wait_for_load_state("networkidle")
    expect(page.get_by_role("button", name=re.compile("Continue with"))).to_have_count(0)
