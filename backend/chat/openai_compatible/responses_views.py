"""OpenAI's Responses API (`POST /responses`, `GET /responses/{id}`) on the same send pipeline,
quota and history as chat completions, bridged onto the upstream's chat completions.

A response is a stored reply with its own `resp_...` id; `previous_response_id` continues the chat
it was stored in, the model reading that chat's conversation up to it (`chat.history`).
"""

from __future__ import annotations

from django.conf import settings
from django.db.models import Prefetch
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import serializers
from rest_framework.renderers import JSONRenderer
from rest_framework.response import Response
from rest_framework.views import APIView

from chat.api.event_stream import event_stream_response
from chat.api.send_views import RATE_LIMIT_HEADERS, AsyncSendView, EventStreamRenderer
from chat.exceptions import ChatNotFound, ResponseNotFound
from chat.gateway import CompletionRequest, get_gateway
from chat.history import conversation_until
from chat.models import Choice, Reply
from chat.openai_compatible.responses_input import ResponseRequestSerializer
from chat.openai_compatible.responses_wire import ResponseMeta, new_response_id, response_body, response_events
from chat.openai_compatible.serializers import message_size
from chat.openai_compatible.views import (
    OPENAI_ERRORS,
    ChatCompletionsView,
    openai_exception_handler,
    refuse_before_decoding,
    stored_turn,
)
from chat.sending import SendPlan, completion_prepare, send_complete, send_stream, started

PASSED_ON = ("top_p", "tools", "tool_choice", "parallel_tool_calls")


def _owned_response(user, response_id: str, *, param: str | None = None) -> Reply:
    choices = Prefetch("choices", queryset=Choice.objects.order_by("index"), to_attr="ordered_choices")
    reply = (
        Reply.objects.filter(chatbot__user=user, response_id=response_id).prefetch_related(choices).first()
        if response_id.startswith("resp_")
        else None
    )
    if reply is None:
        raise ResponseNotFound(f"No response with id '{response_id}' was found.", param=param)
    return reply


class ResponsesView(AsyncSendView):
    """OpenAI's `POST /responses`: plain, or streamed with `"stream": true`.

    Counts against the daily quota like any send and is stored as history: in the chat of
    `previous_response_id`, in the chat named by `X-Chat-ID`, in the chat whose reply asked for the
    tool calls answered, or in a new chat.
    """

    renderer_classes = [JSONRenderer, EventStreamRenderer]

    def get_exception_handler(self):
        return openai_exception_handler

    def build(self, user) -> SendPlan:
        refuse_before_decoding(user, self.request.data)
        serializer = ResponseRequestSerializer(data=self.request.data)
        serializer.is_valid(raise_exception=True)
        body = serializer.validated_data
        chat_id = ChatCompletionsView.chat_id(self.request)
        history: list[dict] = []
        if previous_id := body.get("previous_response_id"):
            previous = _owned_response(user, previous_id, param="previous_response_id")
            if chat_id is not None and chat_id != previous.chatbot_id:
                raise serializers.ValidationError({"X-Chat-ID": ["Names another chat than `previous_response_id`."]})
            chat_id, history = previous.chatbot_id, conversation_until(reply=previous)
        given = body["input"]
        size = sum(message_size(message) for message in given) + len(body.get("instructions") or "")
        if size > settings.OPENAI_COMPAT_MAX_INPUT_CHARS:
            raise serializers.ValidationError({"input": ["The input is too long."]})
        conversation = history + given
        if not any(message["role"] == "user" for message in conversation):
            raise serializers.ValidationError({"input": ["At least one message must have the role `user`."]})
        instructions = body.get("instructions")
        self.stream = bool(body.get("stream"))
        self.meta = ResponseMeta(
            id=new_response_id(),
            model=body["model"],
            instructions=instructions,
            previous_response_id=previous_id,
            tools=body.get("tools") or [],
            tool_choice=body.get("tool_choice") or "auto",
            parallel_tool_calls=body.get("parallel_tool_calls") is not False,
            temperature=body.get("temperature"),
            top_p=body.get("top_p"),
            max_output_tokens=body.get("max_output_tokens"),
            response_format=body.get("text"),
            metadata=body.get("metadata") or {},
        )
        extra = {name: body[name] for name in PASSED_ON if body.get(name) is not None}
        if body.get("text"):
            extra["response_format"] = body["text"]
        upstream = CompletionRequest(
            model=body["model"],
            messages=([{"role": "system", "content": instructions}] if instructions else []) + conversation,
            temperature=body.get("temperature"),
            max_tokens=body.get("max_output_tokens"),
            extra=extra,
        )
        try:
            return completion_prepare(
                user=user,
                request=upstream,
                chat_id=chat_id,
                stream=self.stream,
                response_id=self.meta.id,
                **stored_turn(conversation),
            )
        except ChatNotFound as error:
            error.param = "previous_response_id" if previous_id else "X-Chat-ID"
            raise

    async def respond(self, plan: SendPlan):
        if self.stream:
            items = await started(send_stream(plan=plan, gateway=get_gateway()))
            return event_stream_response(response_events(items, meta=self.meta))
        result = await send_complete(plan=plan, gateway=get_gateway())
        return Response(response_body(self.meta, result.prompt.reply))

    @extend_schema(
        operation_id="openai_responses_create",
        request=ResponseRequestSerializer,
        parameters=[
            *RATE_LIMIT_HEADERS,
            OpenApiParameter("X-Chat-ID", int, OpenApiParameter.HEADER, description="Append to this chat of yours."),
        ],
        responses={
            (200, "application/json"): OpenApiResponse(OpenApiTypes.OBJECT, description="OpenAI's `response` object."),
            (200, "text/event-stream"): OpenApiResponse(
                OpenApiTypes.STR,
                description='With `"stream": true`: `response.created` ... `response.completed` events.',
            ),
            **OPENAI_ERRORS,
        },
        tags=["openai"],
    )
    async def post(self, request):
        return await self.send(request, self.build)


class ResponseDetailView(APIView):
    """OpenAI's `GET /responses/{id}`: a response of yours, as it was stored (the request's
    `instructions` and `tools` are not kept: shown as none)."""

    def get_exception_handler(self):
        return openai_exception_handler

    @extend_schema(
        operation_id="openai_responses_retrieve",
        responses={
            200: OpenApiResponse(OpenApiTypes.OBJECT, description="OpenAI's `response` object."),
            401: OPENAI_ERRORS[401],
            404: OpenApiResponse(OPENAI_ERRORS[404].response, description="No response of yours has this id."),
        },
        tags=["openai"],
    )
    def get(self, request, response_id: str):
        reply = _owned_response(request.user, response_id)
        meta = ResponseMeta(id=reply.response_id, model=reply.model)
        return Response(response_body(meta, reply))
