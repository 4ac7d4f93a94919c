"""Who may sign up: SIGNUP_MODE, SIGNUP_EMAIL_DOMAINS and invite codes, for the form and for social login."""

import datetime as dt
import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
import time_machine
from django.core.management import call_command
from django.db import connection
from rest_framework.test import APIClient

from accounts.invites import invite_create, invite_hash
from accounts.models import Invite, User
from accounts.tests import test_social_login as social
from accounts.tests.test_social_login import Browser, github, logged_in
from chat.models import AllowanceGroup

SIGNUP = "/api/v1/auth/signup/"
fake_provider, providers = social.fake_provider, social.providers  # the fake GitHub, as there
pytestmark = pytest.mark.django_db


def signup(email="ann@example.com", **more):
    body = {"email": email, "password": "correct horse battery"} | more
    return APIClient().post(SIGNUP, body, format="json")


def test_the_policy_is_public_and_says_the_mode(settings):
    settings.SIGNUP_MODE, settings.SIGNUP_EMAIL_DOMAINS = "invite", ["school.example"]

    answer = APIClient().get("/api/v1/auth/signup/policy/")

    assert answer.status_code == 200
    assert answer.json() == {"mode": "invite", "email_domains": ["school.example"], "require_verified_email": False}


def test_closed_signup_is_a_403_and_makes_nobody(settings):
    settings.SIGNUP_MODE = "closed"

    refused = signup()

    assert refused.status_code == 403
    assert "closed" in refused.json()["detail"]
    assert not User.objects.exists()


def test_invite_mode_needs_a_valid_code(settings):
    settings.SIGNUP_MODE = "invite"

    missing = signup()
    wrong = signup(invite_code="AAAA-BBBB-CCCC-DDDD")

    assert missing.status_code == 400
    assert missing.json()["invite_code"] and missing.json()["detail"]
    assert wrong.status_code == 400
    assert "not valid" in wrong.json()["invite_code"][0]
    assert not User.objects.exists()


def test_an_invite_admits_its_number_of_signups_and_puts_them_in_its_groups(settings):
    settings.SIGNUP_MODE = "invite"
    group = AllowanceGroup.objects.create(name="class-a", daily_limit=20)
    code = invite_create(uses=2, groups=[group])

    first = signup("a@example.com", invite_code=code)
    # Typed by hand: lower case, without the dashes, with spaces.
    second = signup("b@example.com", invite_code=" " + code.replace("-", "").lower())
    third = signup("c@example.com", invite_code=code)

    assert [first.status_code, second.status_code, third.status_code] == [201, 201, 400]
    assert sorted(group.members.values_list("email", flat=True)) == ["a@example.com", "b@example.com"]
    assert Invite.objects.get().uses == 2


def test_an_invite_is_stored_hashed_and_expires(settings):
    settings.SIGNUP_MODE = "invite"
    start = dt.datetime(2026, 4, 1, 9, 0, tzinfo=dt.UTC)
    with time_machine.travel(start, tick=False):
        code = invite_create(uses=5, days=7)
    invite = Invite.objects.get()
    assert code.replace("-", "") not in (invite.code_hash + invite.hint + invite.note)
    assert invite.code_hash == invite_hash(code)

    with time_machine.travel(start + dt.timedelta(days=7, seconds=1), tick=False):
        late = signup(invite_code=code)

    assert late.status_code == 400
    assert not User.objects.exists()


def test_a_signup_that_fails_gives_its_invite_use_back(settings):
    settings.SIGNUP_MODE = "invite"
    User.objects.create_user("taken@example.com", "x")
    code = invite_create(uses=1)

    refused = signup("TAKEN@example.com", invite_code=code)
    admitted = signup("new@example.com", invite_code=code)

    assert refused.status_code == 400
    assert admitted.status_code == 201


def test_addresses_outside_the_domains_are_refused(settings):
    settings.SIGNUP_EMAIL_DOMAINS = ["school.example"]

    outside = signup("ann@elsewhere.example")
    lookalike = signup("ann@evilschool.example")
    inside = signup("Ann@School.Example")

    assert outside.status_code == lookalike.status_code == 400
    assert "school.example" in outside.json()["email"][0]
    assert inside.status_code == 201


@pytest.mark.django_db(transaction=True)
def test_twelve_simultaneous_signups_for_the_last_three_uses_admit_exactly_three(settings):
    settings.SIGNUP_MODE = "invite"
    code = invite_create(uses=3)
    barrier = threading.Barrier(12)

    def attempt(n):
        barrier.wait()
        try:
            return signup(f"student{n}@example.com", invite_code=code).status_code
        finally:
            connection.close()

    with ThreadPoolExecutor(12) as pool:
        statuses = list(pool.map(attempt, range(12)))

    assert sorted(statuses) == [201] * 3 + [400] * 9
    assert User.objects.count() == 3
    assert Invite.objects.get().uses == 3


def test_the_invite_command_prints_the_code_alone_on_its_last_line(capsys):
    AllowanceGroup.objects.create(name="tas")
    call_command("invite", "create", "--uses", "30", "--days", "14", "--group", "tas")

    code = capsys.readouterr().out.strip().splitlines()[-1]

    invite = Invite.objects.get()
    assert invite.code_hash == invite_hash(code)
    assert (invite.max_uses, [g.name for g in invite.groups.all()]) == (30, ["tas"])
    assert invite.expires_at is not None


# --- Social login follows the same rules ------------------------------------------------------------


def start_with_invite(code: str) -> str:
    return f"/api/v1/auth/social/github/start/?invite={code}"


def test_a_new_social_user_needs_the_invite_carried_through_the_flow(providers, settings):
    settings.SIGNUP_MODE = "invite"
    group = AllowanceGroup.objects.create(name="class-b")
    code = invite_create(uses=1, groups=[group])

    without = Browser().log_in(**github("nocode", "nocode@example.com"))
    browser = Browser()
    account = logged_in(browser, browser.log_in(start_url=start_with_invite(code), **github()))
    used_up = Browser().log_in(start_url=start_with_invite(code), **github("late", "late@example.com"))

    assert without["error"] == "invite_required"
    assert account["email"] == "octocat@example.com"
    assert list(group.members.values_list("email", flat=True)) == ["octocat@example.com"]
    assert used_up["error"] == "invite_invalid"
    assert User.objects.count() == 1


def test_an_existing_social_user_logs_in_without_an_invite(providers, settings):
    browser = Browser()
    first = logged_in(browser, browser.log_in(**github()))
    settings.SIGNUP_MODE = "closed"

    again = Browser()
    second = logged_in(again, again.log_in(**github()))
    newcomer = Browser().log_in(**github("new", "new@example.com"))

    assert second["id"] == first["id"]
    assert newcomer["error"] == "signup_closed"


def test_a_new_social_user_outside_the_domains_is_refused(providers, settings):
    settings.SIGNUP_EMAIL_DOMAINS = ["school.example"]

    outside = Browser().log_in(**github())
    no_address = Browser().log_in(**github("quiet", None))
    browser = Browser()
    inside = logged_in(browser, browser.log_in(**github("kim", "kim@school.example")))

    assert outside["error"] == no_address["error"] == "email_domain"
    assert inside["email"] == "kim@school.example"


def test_an_invite_made_in_the_admin_shows_its_code_once_and_keeps_only_its_hash(client, settings):
    settings.SIGNUP_MODE = "invite"
    admin = User.objects.create_superuser("boss@example.com", "x")
    group = AllowanceGroup.objects.create(name="class-c")
    client.force_login(admin)

    answer = client.post(
        "/admin/accounts/invite/add/",
        {"note": "spring class", "max_uses": "2", "expires_at_0": "", "expires_at_1": "", "groups": [group.pk]},
        follow=True,
    )

    shown = [str(message) for message in answer.context["messages"]]
    code = shown[0].split("The invite code is ")[1].split(" ")[0]
    invite = Invite.objects.get()
    assert invite.code_hash == invite_hash(code) and code not in invite.hint
    assert signup("new@example.com", invite_code=code).status_code == 201
    assert list(group.members.values_list("email", flat=True)) == ["new@example.com"]
