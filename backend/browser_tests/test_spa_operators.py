"""The operator's side in the web app: the sign-up page's invite code, and the staff's usage page."""

import datetime as dt
import re
from decimal import Decimal

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from accounts.invites import invite_create
from accounts.models import User
from accounts.tests.factories import PASSWORD, UserFactory
from browser_tests.conftest import log_in, screenshot
from chat.models import AllowanceGroup, ModelUsage

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def fill_signup(page, email, code=None):
    if code is not None:
        page.get_by_label("Invite code").fill(code)
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password", exact=True).fill("correct horse battery")
    page.get_by_role("button", name="Sign up").click()


def test_sign_up_asks_for_the_invite_code_only_when_the_mode_needs_one(app):
    page, _ = app()
    page.goto(page.url.split("#")[0] + "#/signup")
    expect(page.get_by_role("heading", name="Create your account")).to_be_visible()
    expect(page.get_by_label("Invite code")).to_be_hidden()

    page, _ = app(SIGNUP_MODE="invite")
    group = AllowanceGroup.objects.create(name="class-a")
    code = invite_create(uses=1, groups=[group])
    page.goto(page.url.split("#")[0] + "#/signup")
    expect(page.get_by_label("Invite code")).to_be_visible()
    fill_signup(page, "wrong@school.example", "AAAA-BBBB-CCCC-DDDD")
    expect(page.get_by_text("This invite code is not valid")).to_be_visible()
    screenshot(page, "signup-invite-refused")
    fill_signup(page, "kim@school.example", code)

    expect(page.get_by_role("button", name="Log out")).to_be_visible()
    assert list(group.members.values_list("email", flat=True)) == ["kim@school.example"]


def test_a_shared_sign_up_link_fills_in_the_invite_code(app):
    page, _ = app(SIGNUP_MODE="invite", SIGNUP_EMAIL_DOMAINS="school.example")
    code = invite_create(uses=5)
    page.goto(page.url.split("#")[0] + f"#/signup?invite={code}")

    expect(page.get_by_label("Invite code")).to_have_value(code)
    expect(page.get_by_text("Use an address at school.example.")).to_be_visible()
    fill_signup(page, "lee@elsewhere.example")
    expect(page.get_by_text("only open to addresses at school.example")).to_be_visible()
    fill_signup(page, "lee@school.example")
    expect(page.get_by_role("button", name="Log out")).to_be_visible()
    assert User.objects.filter(email="lee@school.example").exists()


def test_closed_sign_up_says_so_and_offers_no_form(app):
    page, _ = app(SIGNUP_MODE="closed")
    page.goto(page.url.split("#")[0] + "#/signup")

    expect(page.get_by_text("Sign-up is closed")).to_be_visible()
    expect(page.get_by_role("button", name="Sign up")).to_be_hidden()


def book(user, model, tokens, cost, days_ago=0):
    ModelUsage.objects.create(
        user=user,
        day=timezone.localdate() - dt.timedelta(days=days_ago),
        model=model,
        completions=tokens // 100,
        prompt_tokens=tokens // 2,
        completion_tokens=tokens - tokens // 2,
        cost=Decimal(cost),
    )


@pytest.mark.parametrize("locale", ["en-US", "ko-KR"])
def test_staff_see_who_used_what_and_others_never_see_the_page(app, locale):
    staff = UserFactory(is_staff=True, email="teacher@school.example")
    heavy, light = UserFactory(email="heavy@school.example"), UserFactory(email="light@school.example")
    AllowanceGroup.objects.create(name="class-a").members.add(heavy, light)
    book(heavy, "gpt-4o-mini", 4000, "0.0012")
    book(heavy, "gpt-4.1-nano", 2000, "0.0004")
    book(light, "gpt-4o-mini", 600, "0.0002")
    page, _ = app(SERVICE_DAILY_TOKENS="50000", locale=locale)
    korean = locale.startswith("ko")

    log_in_as(page, light, korean)
    expect(page.get_by_role("link", name="관리" if korean else "Staff")).to_be_hidden()
    page.get_by_role("button", name="로그아웃" if korean else "Log out").click()
    expect(page.get_by_role("heading", name="로그인" if korean else "Log in")).to_be_visible()

    log_in_as(page, staff, korean)
    page.get_by_role("link", name="관리" if korean else "Staff").click()
    expect(page.get_by_role("heading", name="서비스 사용 현황" if korean else "Usage of the service")).to_be_visible()
    users = page.get_by_role("table", name="많이 쓴 사용자" if korean else "Top users")
    expect(users.get_by_role("row").nth(1)).to_contain_text("heavy@school.example")
    expect(users.get_by_role("row").nth(2)).to_contain_text("light@school.example")
    expect(page.get_by_role("table", name="모델" if korean else "Models")).to_contain_text("gpt-4.1-nano")
    expect(page.get_by_role("table", name="그룹" if korean else "Groups")).to_contain_text("class-a")
    expect(page.locator(".budget-level[data-window=daily]")).to_contain_text("50,000")
    expect(page.locator(".staff-summary")).to_contain_text("$0.0018")
    expect(page.locator(".chart svg")).to_be_visible()
    screenshot(page, f"staff-usage-{locale}")

    with page.expect_download() as download:
        page.get_by_role("button", name="CSV 내려받기" if korean else "Download CSV").click()
    assert "heavy@school.example" in download.value.path().read_text()


def log_in_as(page, user, korean):
    if not korean:
        log_in(page, user)
        return
    page.get_by_label("이메일").fill(user.email)
    page.get_by_label("비밀번호").fill(PASSWORD)
    page.get_by_role("button", name="로그인").click()
    expect(page.get_by_role("button", name="로그아웃")).to_be_visible()


def test_a_github_sign_up_carries_the_invite_code_typed_on_the_sign_up_page(social_app):
    from browser_tests.test_spa_social import consent_on_github

    page, _ = social_app(SIGNUP_MODE="invite")
    group = AllowanceGroup.objects.create(name="class-b")
    code = invite_create(uses=1, groups=[group])

    page.get_by_role("button", name="Continue with GitHub").click()  # from the log-in page: no code
    consent_on_github(page, login="no-code", email="nocode@example.com")
    expect(page.get_by_role("alert").filter(has_text="needs an invite code")).to_be_visible()

    page.get_by_role("link", name="Create an account").click()
    page.get_by_label("Invite code").fill(code)
    with page.expect_request(re.compile(r".*/social/github/start/\?.*invite=.*")):
        page.get_by_role("button", name="Continue with GitHub").click()
    consent_on_github(page, login="invited", email="invited@example.com")

    expect(page.get_by_role("button", name="Log out")).to_be_visible()
    assert list(group.members.values_list("email", flat=True)) == ["invited@example.com"]


def test_the_usage_page_says_what_is_left_of_the_token_budgets(app):
    user = UserFactory(daily_tokens=5000)
    page, _ = app(CHAT_MONTHLY_TOKENS="90000")
    log_in(page, user)
    page.get_by_role("link", name="Usage").click()

    expect(page.locator(".token-budgets li[data-window=daily]")).to_have_text(
        "Tokens today: 0 of 5,000 used, 5,000 left"
    )
    expect(page.locator(".token-budgets li[data-window=monthly]")).to_contain_text("of 90,000 used")
