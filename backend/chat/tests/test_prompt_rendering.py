"""The prompt written out by hand for a send's `done` event and its plain answer is, field for field and
in the same order, what `PromptSerializer` (the shape's one definition, and the schema's) makes."""

import json
from decimal import Decimal

import pytest
from django.test import RequestFactory

from chat.api.prompt_rendering import prompt_data
from chat.api.serializers import ChatDetailSerializer, ChatSummarySerializer, PromptSerializer
from chat.branches import versions_of
from chat.models import ChatBot, Prompt, PromptKind
from chat.selectors import chat_detail_queryset_for, chat_with_branch, prompts_with_replies
from chat.tests.factories import ChatBotFactory, ChoiceFactory, PromptFactory, ReplyFactory
from chat.tests.test_images import picture, send_with_images, upload

pytestmark = pytest.mark.django_db


def both(prompt: Prompt, context: dict) -> tuple[str, str]:
    ours = json.dumps(prompt_data(prompt, context=context), ensure_ascii=False)
    theirs = json.dumps(PromptSerializer(prompt, context=context).data, ensure_ascii=False)
    return ours, theirs


@pytest.mark.parametrize("time_zone", ["UTC", "Asia/Seoul", "America/Noronha"])
def test_every_shape_of_a_prompt_renders_as_the_serializer_renders_it(auth_client, user, mock_llm, settings, time_zone):
    settings.TIME_ZONE = time_zone
    chat = ChatBotFactory(user=user)
    sent = send_with_images(auth_client, chat, upload(picture()), upload(picture(12, 8, "JPEG"), "b.jpg", "image/jpeg"))
    assert sent.status_code == 201
    pictured = sent.json()["id"]
    again = auth_client.post(f"/api/v1/chats/{chat.pk}/messages/{pictured}/regenerate/", format="json")
    assert again.status_code == 201
    edit = f"/api/v1/chats/{chat.pk}/messages/{pictured}/edit/"
    edited = auth_client.post(edit, {"content": "Better"}, format="json")
    assert edited.status_code == 201
    tooled = PromptFactory(chatbot=chat, content="Weather in Busan?")
    reply = ReplyFactory(prompt=tooled, choice=None, cost=Decimal("0.00012345"), model="gpt-4o")
    call = {"id": "call_1", "type": "function", "function": {"name": "weather", "arguments": '{"city": "부산"}'}}
    ChoiceFactory(reply=reply, index=0, content="", tool_calls=[call], finish_reason="tool_calls")
    ChoiceFactory(reply=reply, index=1, content="맑음", finish_reason="stop")
    PromptFactory(chatbot=chat, content="", tool_results=[{"tool_call_id": "call_1", "content": "sunny"}])
    PromptFactory(chatbot=chat, kind=PromptKind.GOAL, content="Plan a trip")
    PromptFactory(chatbot=chat, content="never answered")

    prompts = list(prompts_with_replies().filter(chatbot=chat))
    versions_of(chat_id=chat.pk, prompts=prompts)
    loaded_tooled = next(prompt for prompt in prompts if prompt.pk == tooled.pk)
    loaded_tooled.answers[0].cost = Decimal("0.000000025")  # in memory: DRF rounds it half to even
    shapes = [*prompts, Prompt.objects.get(pk=tooled.pk)]  # the last one reads its relations on demand
    request = RequestFactory().get("/", secure=True)

    for prompt in shapes:
        for context in ({}, {"request": request}):
            ours, theirs = both(prompt, context)
            assert ours == theirs
    assert {prompt.kind for prompt in shapes} == {PromptKind.MESSAGE, PromptKind.GOAL}
    assert sum(len(prompt.attached_images) for prompt in shapes) == 4  # the message's two, and its edit's
    assert any(len(prompt.answers) == 2 for prompt in shapes)
    assert any(len(getattr(prompt, "loaded_versions", [])) == 2 for prompt in shapes)
    assert '"cost": "0.00000002"' in both(loaded_tooled, {})[0]
    assert "https://testserver/api/" in both(prompts[0], {"request": request})[0]


def test_a_chats_detail_renders_its_prompts_as_the_serializer_would(auth_client, user, mock_llm):
    chat = ChatBotFactory(user=user)
    assert send_with_images(auth_client, chat, upload(picture())).status_code == 201
    auth_client.post(f"/api/v1/chats/{chat.pk}/messages/", {"content": "And then?"}, format="json")
    auth_client.patch(f"/api/v1/chats/{chat.pk}/", {"context": {"goal": "Learn"}}, format="json")
    request = RequestFactory().get("/")
    shown = chat_with_branch(chat_detail_queryset_for(user).get(pk=chat.pk))

    detail = ChatDetailSerializer(shown, context={"request": request}).data

    assert len(detail["prompts"]) == 3
    expected = PromptSerializer(shown.shown_prompts, many=True, context={"request": request}).data
    assert json.dumps(detail["prompts"]) == json.dumps(expected)
    assert auth_client.get(f"/api/v1/chats/{chat.pk}/").json()["prompts"] == json.loads(json.dumps(expected))


@pytest.mark.parametrize("time_zone", ["UTC", "Asia/Seoul"])
def test_the_chat_list_renders_as_the_serializer_would(auth_client, user, settings, time_zone):
    settings.TIME_ZONE = time_zone
    ChatBotFactory(user=user, title="Busan 부산")
    ChatBotFactory(user=user, title="")
    chats = list(ChatBot.objects.filter(user=user).order_by("-updated_at", "-id"))

    listed = auth_client.get("/api/v1/chats/").json()["results"]

    expected = [ChatSummarySerializer(chat).data for chat in chats]  # one at a time: DRF's own rendering
    assert json.dumps(ChatSummarySerializer(chats, many=True).data) == json.dumps(expected)
    assert listed == json.loads(json.dumps(expected))
