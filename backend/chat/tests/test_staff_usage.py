"""The staff's usage API: who used what, by user, group, model and day; 404 for everyone else."""

import csv
import io

import pytest

from accounts.tests.factories import UserFactory
from chat.models import AllowanceGroup
from chat.tests.factories import ChatBotFactory

pytestmark = pytest.mark.django_db
USAGE = "/api/v1/staff/usage/"


def send(client, chat, content):
    answer = client.post(f"/api/v1/chats/{chat.pk}/messages/", {"content": content}, format="json")
    assert answer.status_code == 201, answer.content
    return answer.json()


def test_the_staff_api_does_not_exist_for_others(client_for, api_client):
    member = client_for(UserFactory())

    assert member.get(USAGE).status_code == 404
    assert member.get("/api/v1/staff/usage.csv").status_code == 404
    assert api_client.get(USAGE).status_code == 404


def test_staff_see_who_used_what_with_which_model_at_what_cost(client_for, mock_llm, settings):
    settings.SERVICE_DAILY_TOKENS = 100_000
    staff = client_for(UserFactory(is_staff=True))
    heavy, light = UserFactory(email="heavy@school.example"), UserFactory(email="light@school.example")
    AllowanceGroup.objects.create(name="class-a").members.add(heavy, light)
    nano_chat = ChatBotFactory(user=heavy, config__model="gpt-4.1-nano")
    send(client_for(heavy), ChatBotFactory(user=heavy), "[[mock:words=40]] a")
    send(client_for(heavy), nano_chat, "[[mock:words=30]] b")
    send(client_for(light), ChatBotFactory(user=light), "[[mock:words=5]] c")

    report = staff.get(USAGE).json()

    assert [row["email"] for row in report["by_user"]] == ["heavy@school.example", "light@school.example"]
    assert report["by_user"][0]["completions"] == 2
    assert report["by_user"][0]["completion_tokens"] == 70
    assert {row["model"]: row["completions"] for row in report["by_model"]} == {"gpt-4.1-nano": 1, "gpt-4o-mini": 2}
    assert report["by_group"] == [{"group": "class-a", "members": 2, **report["totals"]}]
    assert report["totals"]["completions"] == 3
    assert report["totals"]["total_tokens"] == sum(row["total_tokens"] for row in report["by_user"])
    assert float(report["totals"]["cost"]) > 0
    assert len(report["by_day"]) == 1
    assert report["budget"]["daily"]["limit"] == 100_000
    assert report["budget"]["daily"]["used"] == report["totals"]["total_tokens"]
    assert report["budget"]["monthly"]["limit"] is None


def test_the_csv_has_a_row_per_day_user_and_model(client_for, mock_llm):
    staff = client_for(UserFactory(is_staff=True))
    user = UserFactory(email="kim@school.example")
    send(client_for(user), ChatBotFactory(user=user), "[[mock:words=3]] a")

    answer = staff.get("/api/v1/staff/usage.csv", HTTP_ACCEPT="text/csv")

    assert answer.status_code == 200
    assert answer["Content-Type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(answer.content.decode())))
    assert rows[0][:3] == ["day", "email", "model"]
    assert rows[1][1:4] == ["kim@school.example", "gpt-4o-mini", "1"]


def test_an_address_that_looks_like_a_formula_is_not_one_in_the_csv(client_for, mock_llm):
    staff = client_for(UserFactory(is_staff=True))
    user = UserFactory(email="=hyperlink(1)@school.example")
    send(client_for(user), ChatBotFactory(user=user), "a")

    rows = list(csv.reader(io.StringIO(staff.get("/api/v1/staff/usage.csv").content.decode())))

    assert rows[1][1] == "'=hyperlink(1)@school.example"


def test_a_bad_period_is_a_400(client_for):
    staff = client_for(UserFactory(is_staff=True))

    assert staff.get(USAGE, {"since": "2026-05-02", "until": "2026-05-01"}).status_code == 400
    assert staff.get(USAGE, {"since": "yesterday"}).status_code == 400
    assert staff.get(USAGE, {"since": "2024-01-01", "until": "2026-01-01"}).status_code == 400
