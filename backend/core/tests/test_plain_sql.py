"""core.plain_sql: rows written and read without the query compiler are the ORM's own, on either database."""

from decimal import Decimal

import pytest
from django.db import connection

from chat.models import ChatBot, Choice, Config, Reply
from chat.tests.factories import ChatBotFactory, PromptFactory
from core import plain_sql

pytestmark = pytest.mark.django_db


def as_stored(instance) -> dict:
    return {field.attname: getattr(instance, field.attname) for field in type(instance)._meta.concrete_fields}


def test_an_inserted_row_is_what_the_orm_reads_back(user):
    prompt = PromptFactory(chatbot=ChatBotFactory(user=user))
    calls = [{"id": "call_1", "type": "function", "function": {"name": "weather", "arguments": '{"city": "서울"}'}}]

    reply = plain_sql.insert(Reply, chatbot_id=prompt.chatbot_id, prompt=prompt, model="m", cost=Decimal("0.00000105"))
    choice = plain_sql.insert(Choice, reply=reply, content="맑음", tool_calls=calls, finish_reason="tool_calls")

    assert as_stored(Reply.objects.get(pk=reply.pk)) == as_stored(reply)
    assert as_stored(Choice.objects.get(pk=choice.pk)) == as_stored(choice)
    assert reply.created_at is not None and reply.created_at.tzinfo is not None  # auto_now_add, as save() sets it
    assert not reply._state.adding and reply._state.db == "default"


def test_a_row_read_by_its_columns_is_the_instance_a_queryset_builds(user):
    chat = ChatBotFactory(user=user, persona_values={"name": "Kim"}, config__temperature="0.25")
    quote = connection.ops.quote_name
    with connection.cursor() as cursor:
        for model, key in ((ChatBot, "id"), (Config, "chatbot_id")):
            table = quote(model._meta.db_table)
            cursor.execute(f"SELECT {plain_sql.columns(model)} FROM {table} WHERE {key} = %s", [chat.pk])  # noqa: S608
            row = cursor.fetchone()
            assert len(row) == plain_sql.width(model)
            read = plain_sql.instance(model, row)
            assert as_stored(read) == as_stored(model.objects.get(**{key: chat.pk}))

    assert read.temperature == Decimal("0.25")
    assert ChatBot.objects.get(pk=chat.pk).persona_values == {"name": "Kim"}
