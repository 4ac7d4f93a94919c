"""Groups, token budgets, the service ceiling and the verified-address rule, in-process."""

import datetime as dt
import zoneinfo

import pytest
import time_machine
from django.core.management import call_command

from accounts.tests.factories import UserFactory
from chat.allowances import allowance_for
from chat.models import AllowanceGroup, DailyUsage, ModelUsage, QuotaReservation, Reply
from chat.tests.factories import ChatBotFactory

SEOUL = zoneinfo.ZoneInfo("Asia/Seoul")
pytestmark = pytest.mark.django_db


def send(client, chat, content="Hello"):
    return client.post(f"/api/v1/chats/{chat.pk}/messages/", {"content": content}, format="json")


def regenerate(client, chat, prompt_id):
    return client.post(f"/api/v1/chats/{chat.pk}/messages/{prompt_id}/regenerate/", {}, format="json")


def test_the_effective_allowance_is_the_users_own_else_the_most_generous_group_else_the_default(settings):
    settings.CHAT_DAILY_LIMIT, settings.CHAT_DAILY_TOKENS, settings.CHAT_MONTHLY_TOKENS = 5, 1000, None
    plain, member, overridden = UserFactory(), UserFactory(), UserFactory(daily_limit=2, daily_tokens=50)
    small = AllowanceGroup.objects.create(name="small", daily_limit=10, daily_tokens=500, monthly_tokens=9000)
    big = AllowanceGroup.objects.create(name="big", daily_limit=30, allowed_models=["gpt-4o-mini"])
    for group in (small, big):
        group.members.add(member, overridden)

    default, grouped, own = allowance_for(plain), allowance_for(member), allowance_for(overridden)

    assert (default.daily_limit, default.daily_tokens, default.monthly_tokens, default.source) == (
        5,
        1000,
        None,
        "default",
    )
    # big sets no daily tokens (the default, 1000, beats small's 500) and no monthly limit (none beats 9000).
    assert (grouped.daily_limit, grouped.daily_tokens, grouped.monthly_tokens, grouped.source) == (
        30,
        1000,
        None,
        "group",
    )
    assert grouped.models is None  # small allows every model
    assert (own.daily_limit, own.daily_tokens, own.source) == (2, 50, "user")


def test_the_group_commands_make_a_group_and_put_users_in_it(capsys, settings):
    student = UserFactory(email="kim@school.example")
    call_command("group", "set", "class-a", "--daily-limit", "20", "--daily-tokens", "5000", "--models", "gpt-4o-mini")
    call_command("group", "set", "class-a", "--monthly-tokens", "90000")
    call_command("group", "add", "class-a", "KIM@school.example")

    group = AllowanceGroup.objects.get(name="class-a")
    assert (group.daily_limit, group.daily_tokens, group.monthly_tokens) == (20, 5000, 90000)
    assert group.allowed_models == ["gpt-4o-mini"]
    assert list(group.members.all()) == [student]
    assert allowance_for(student).daily_limit == 20
    with pytest.raises(Exception, match="Not an allowed model"):
        call_command("group", "set", "class-a", "--models", "gpt-5-imaginary")


def test_a_group_limited_to_some_models_refuses_the_others_without_calling_upstream(client_for, mock_llm):
    user = UserFactory()
    AllowanceGroup.objects.create(name="nano", allowed_models=["gpt-4.1-nano"]).members.add(user)
    client = client_for(user)
    chat = ChatBotFactory(user=user)  # the default model, gpt-4o-mini

    refused = send(client, chat)
    chat.config.model = "gpt-4.1-nano"
    chat.config.save()
    allowed = send(client, chat)

    assert refused.status_code == 403
    assert "gpt-4.1-nano" in refused.json()["detail"]
    assert allowed.status_code == 201
    assert len(mock_llm.requests()) == 1
    assert client.get("/api/v1/auth/me/").json()["allowance"]["models"] == ["gpt-4.1-nano"]


def test_an_unconfirmed_address_cannot_chat_while_verified_email_is_required(client_for, mock_llm, settings):
    settings.REQUIRE_VERIFIED_EMAIL = True
    unverified, verified = UserFactory(email_verified=False), UserFactory(email_verified=True)
    chat = ChatBotFactory(user=unverified)

    refused = send(client_for(unverified), chat)
    admitted = send(client_for(verified), ChatBotFactory(user=verified))

    assert refused.status_code == 403
    assert "Confirm your email" in refused.json()["detail"]
    assert admitted.status_code == 201
    assert len(mock_llm.requests()) == 1
    assert not DailyUsage.objects.filter(user=unverified, used__gt=0).exists()


def test_a_token_budget_reserves_the_worst_case_and_settles_to_the_reported_usage(client_for, mock_llm, settings):
    user = UserFactory(daily_tokens=600)
    client = client_for(user)
    chat = ChatBotFactory(user=user, config__max_tokens=200)

    first = send(client, chat, "[[mock:words=200]] one")  # worst case about 215: fits
    me = client.get("/api/v1/auth/me/").json()["quota"]["tokens"]["daily"]

    reply = Reply.objects.get()
    assert first.status_code == 201
    used = reply.prompt_tokens + reply.completion_tokens
    assert reply.completion_tokens == 200
    assert me == {"limit": 600, "used": used, "remaining": 600 - used}  # the headroom came back at once
    assert not QuotaReservation.objects.exists()


def test_a_send_whose_worst_case_does_not_fit_is_a_429_like_the_daily_count(client_for, mock_llm, settings):
    settings.TIME_ZONE = "Asia/Seoul"
    user = UserFactory(daily_tokens=300)
    chat = ChatBotFactory(user=user, config__max_tokens=200)
    with time_machine.travel(dt.datetime(2026, 3, 1, 21, 0, tzinfo=SEOUL), tick=False):
        client = client_for(user)
        assert send(client, chat, "[[mock:words=150]] go").status_code == 201
        refused = send(client, ChatBotFactory(user=user, config__max_tokens=200))

    assert refused.status_code == 429
    body = refused.json()
    assert set(body) == {"detail", "limit", "remaining", "resets_at"}
    assert body["limit"] == 300
    assert body["remaining"] == 300 - DailyUsage.objects.get(user=user).prompt_tokens - 150
    assert body["resets_at"] == "2026-03-02T00:00:00+09:00"
    assert "tokens" in body["detail"]
    assert refused["Retry-After"] == str(3 * 3600 + 1)
    assert len(mock_llm.requests()) == 1


def test_regenerate_is_under_the_same_token_budget(client_for, mock_llm):
    user = UserFactory(daily_tokens=300)  # the send settles at about 150, the regenerate's worst case is about 170
    client = client_for(user)
    chat = ChatBotFactory(user=user, config__max_tokens=150)
    prompt_id = send(client, chat, "[[mock:words=150]] go").json()["id"]

    again = regenerate(client, chat, prompt_id)

    assert again.status_code == 429
    assert len(mock_llm.requests()) == 1


def test_the_monthly_budget_outlasts_the_day_and_comes_back_with_the_month(client_for, mock_llm, settings):
    settings.TIME_ZONE = "Asia/Seoul"
    user = UserFactory(monthly_tokens=500)
    with time_machine.travel(dt.datetime(2026, 3, 30, 12, 0, tzinfo=SEOUL), tick=False):
        client = client_for(user)
        assert (
            send(client, ChatBotFactory(user=user, config__max_tokens=200), "[[mock:words=200]] a").status_code == 201
        )
    with time_machine.travel(dt.datetime(2026, 3, 31, 12, 0, tzinfo=SEOUL), tick=False):
        client = client_for(user)
        next_day = send(client, ChatBotFactory(user=user, config__max_tokens=300), "[[mock:words=5]] b")
    with time_machine.travel(dt.datetime(2026, 4, 1, 0, 0, 1, tzinfo=SEOUL), tick=False):
        client = client_for(user)
        next_month = send(client, ChatBotFactory(user=user, config__max_tokens=300), "[[mock:words=5]] c")

    assert next_day.status_code == 429
    assert next_day.json()["resets_at"] == "2026-04-01T00:00:00+09:00"
    assert next_month.status_code == 201


def test_the_service_ceiling_refuses_everyone_with_a_503_that_says_it_is_the_services(client_for, mock_llm, settings):
    settings.SERVICE_DAILY_TOKENS = 500
    alice, bob = UserFactory(), UserFactory()
    assert (
        send(client_for(alice), ChatBotFactory(user=alice, config__max_tokens=300), "[[mock:words=300]] a").status_code
        == 201
    )

    refused = send(client_for(bob), ChatBotFactory(user=bob, config__max_tokens=300), "b")

    assert refused.status_code == 503
    assert "service" in refused.json()["detail"] and "not your own" in refused.json()["detail"]
    assert int(refused["Retry-After"]) > 0
    assert len(mock_llm.requests()) == 1


def test_a_failed_send_gives_its_tokens_back(client_for, mock_llm):
    user = UserFactory(daily_tokens=300)
    client = client_for(user)
    chat = ChatBotFactory(user=user, config__max_tokens=200)

    failed = send(client, chat, "[[mock:status=500]] x")
    me = client.get("/api/v1/auth/me/").json()["quota"]["tokens"]["daily"]

    assert failed.status_code >= 500
    assert me == {"limit": 300, "used": 0, "remaining": 300}
    assert not QuotaReservation.objects.exists()


def test_each_reply_has_a_cost_from_the_price_table_and_usage_is_kept_per_model(client_for, mock_llm):
    user = UserFactory()
    client = client_for(user)
    chat = ChatBotFactory(user=user)
    answer = send(client, chat, "[[mock:words=10]] priced")

    reply = Reply.objects.get()
    usage = ModelUsage.objects.get(user=user)
    expected = (reply.prompt_tokens * 0.15 + reply.completion_tokens * 0.60) / 1_000_000
    assert answer.json()["reply"]["cost"] == f"{expected:.8f}"
    assert (usage.model, usage.completions, usage.completion_tokens) == ("gpt-4o-mini", 1, 10)
    assert float(usage.cost) == pytest.approx(expected)


@pytest.mark.django_db(transaction=True)  # the mail leaves when the reservation commits
def test_staff_are_mailed_once_when_the_service_passes_80_and_100_percent(client_for, mock_llm, settings, mailoutbox):
    settings.SERVICE_DAILY_TOKENS = 1000
    UserFactory(is_staff=True, email="ops@school.example")
    user = UserFactory()
    client = client_for(user)

    def ask(words):
        return send(
            client, ChatBotFactory(user=user, config__max_tokens=words), f"[[mock:words={words}]] go"
        ).status_code

    assert ask(300) == 201  # about a third
    assert mailoutbox == []
    assert ask(500) == 201  # 80 % passed
    assert [m.subject for m in mailoutbox] == ["Chatbot: the service's token budget for today is 80 % used"]
    assert ask(300) == 503  # the ceiling: refused, and said once
    assert ask(300) == 503
    assert len(mailoutbox) == 2
    assert "used up" in mailoutbox[1].subject
    assert mailoutbox[1].to == ["ops@school.example"]
