"""An OpenAI-compatible API (`<API>/api/openai/v1`): any OpenAI client, our keys, quota and history.

The same send pipeline as the REST send (chat.sending): the same quota reservation, gateway,
storage and cancellation. Only the shapes differ: OpenAI's requests, answers and errors.
"""

from __future__ import annotations

import re

from django.conf import settings
from django.http import JsonResponse
from django.views.decorators.csrf import csrf_exempt
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework.exceptions import ValidationError
from rest_framework.renderers import JSONRenderer
from rest_framework.response import Response
from rest_framework.views import APIView

from chat.api.event_stream import event_stream_response
from chat.api.send_views import RATE_LIMIT_HEADERS, AsyncSendView, EventStreamRenderer
from chat.exceptions import ChatNotFound
from chat.gateway import CompletionRequest, get_gateway
from chat.images import image_from_data_url
from chat.openai_compatible.messages import CheckedDataURL, data_image_count, image_urls
from chat.openai_compatible.serializers import (
    ChatCompletionRequestSerializer,
    ChatCompletionSerializer,
    OpenAIErrorSerializer,
    OpenAIModelListSerializer,
    message_text,
)
from chat.openai_compatible.wire import completion_body, completion_chunks, completion_id
from chat.refusals import refuse_early
from chat.sending import SendPlan, completion_prepare, send_complete, send_stream, started
from core.error_answers import openai_error, openai_error_body

CHAT_ID = re.compile(r"[0-9]{1,18}")
PASSED_ON = (
    "top_p",
    "presence_penalty",
    "frequency_penalty",
    "seed",
    "stop",
    "max_completion_tokens",
    "n",
    "tools",
    "tool_choice",
    "parallel_tool_calls",
    "response_format",
)


def stored_turn(messages: list[dict]) -> dict:
    """What of a call's messages is stored as its turn: the tool results sent since the last assistant
    message, and the user's message if they wrote one since (a tool loop's follow-up has none); the
    title of a new chat comes from the last user message either way."""
    last_assistant = max((n for n, m in enumerate(messages) if m["role"] == "assistant"), default=-1)
    since = messages[last_assistant + 1 :]
    users = [m for m in since if m["role"] == "user"]
    last_user = next(m for m in reversed(messages) if m["role"] == "user")
    # The new message's own images are stored with it (data: URLs; an https one is the client's to keep).
    # Every image the call sends counts in the day's images, earlier messages' too: each is sent again.
    urls = image_urls(users[-1].get("content")) if users else []
    return {
        "images": tuple(
            url.image if isinstance(url, CheckedDataURL) else image_from_data_url(url)
            for url in urls
            if url.startswith("data:")
        ),
        "images_sent": sum(len(image_urls(m.get("content"))) for m in messages if m["role"] == "user"),
        "content": message_text(users[-1]) if users else "",
        "tool_results": [
            {"tool_call_id": m["tool_call_id"], "content": message_text(m)} for m in since if m["role"] == "tool"
        ],
        "title": message_text(last_user),
    }


def openai_exception_handler(exc, context):
    """Errors in OpenAI's shape (core.error_answers); None for a bug: Django's JSON 500."""
    if isinstance(exc, ChatNotFound) and exc.param is None:
        exc.param = "X-Chat-ID"  # here, a chat is named by that header (or was deleted meanwhile)
    answer = openai_error(exc)
    if answer is None:
        return None
    return Response(answer.body, status=answer.status, headers=answer.headers)


OPENAI_ERRORS = {
    code: OpenApiResponse(OpenAIErrorSerializer, description=description)
    for code, description in {
        400: "Invalid body or model (`invalid_request_error`, `model_not_found`).",
        401: "Missing or invalid API key (`invalid_api_key`).",
        404: "`X-Chat-ID` names no chat of yours.",
        403: "Address not confirmed (`email_not_verified`) or model not allowed for your groups (`model_not_allowed`).",
        429: "Daily limit (`rate_limit_exceeded`) or token budget (`token_limit_exceeded`) reached; see `Retry-After`.",
        502: "The model's server failed.",
        503: "The model's server is busy, or the service is (`service_budget_exhausted`: its token budget is "
        "used up); see `Retry-After`.",
        504: "The model did not answer in time.",
    }.items()
}


def refuse_before_decoding(user, body) -> None:
    """A body with `data:` images, from a caller whom today's count or image allowance already
    refuses, is refused before they are decoded (the dear part of checking a body): `refuse_early`."""
    if images := data_image_count(body):
        refuse_early(user=user, images=images)


class ChatCompletionsView(AsyncSendView):
    """OpenAI's `POST /chat/completions`: plain, or streamed with `"stream": true`.

    Counts against the daily quota like any send, and is stored as history: a new chat per call,
    or appended to the chat named by the `X-Chat-ID` header.
    """

    # `stream` in the body decides; an SSE client's `Accept: text/event-stream` is welcome either way.
    renderer_classes = [JSONRenderer, EventStreamRenderer]

    def get_exception_handler(self):
        return openai_exception_handler

    def build(self, user) -> SendPlan:
        request = self.request
        refuse_before_decoding(user, request.data)
        chat_id = self.chat_id(request)
        serializer = ChatCompletionRequestSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        body = serializer.validated_data
        self.stream = bool(body.get("stream"))
        self.include_usage = bool((body.get("stream_options") or {}).get("include_usage"))
        max_tokens = body.get("max_tokens")
        upstream = CompletionRequest(
            model=body["model"],
            messages=body["messages"],
            temperature=body.get("temperature"),
            max_tokens=max_tokens,
            extra={name: body[name] for name in PASSED_ON if body.get(name) is not None},
        )
        self.choices = body.get("n") or 1
        try:
            return completion_prepare(
                user=user, request=upstream, chat_id=chat_id, stream=self.stream, **stored_turn(body["messages"])
            )
        except ChatNotFound as error:
            error.param = "X-Chat-ID"
            raise

    @staticmethod
    def chat_id(request) -> int | None:
        value = request.headers.get("X-Chat-ID")
        if value is None:
            return None
        if not CHAT_ID.fullmatch(value):
            raise ValidationError({"X-Chat-ID": ["Expected the id of one of your chats."]})
        return int(value)

    async def respond(self, plan: SendPlan):
        identifier = completion_id()
        if self.stream:
            # Wait for the model's first piece before answering 200: a model that fails to start
            # answers 502/503/504 like a plain call, and the SDKs raise their matching errors.
            items = await started(send_stream(plan=plan, gateway=get_gateway()))
            return event_stream_response(
                completion_chunks(
                    items,
                    completion_id=identifier,
                    model=plan.request.model,
                    include_usage=self.include_usage,
                    choices=self.choices,
                )
            )
        result = await send_complete(plan=plan, gateway=get_gateway())
        return Response(completion_body(result, completion_id=identifier))

    @extend_schema(
        operation_id="openai_chat_completions",
        request=ChatCompletionRequestSerializer,
        parameters=[
            *RATE_LIMIT_HEADERS,
            OpenApiParameter("X-Chat-ID", int, OpenApiParameter.HEADER, description="Append to this chat of yours."),
        ],
        responses={
            (200, "application/json"): ChatCompletionSerializer,
            (200, "text/event-stream"): OpenApiResponse(
                OpenApiTypes.STR,
                description='With `"stream": true`: `chat.completion.chunk` events, then `data: [DONE]`.',
            ),
            **OPENAI_ERRORS,
        },
        tags=["openai"],
    )
    async def post(self, request):
        return await self.send(request, self.build)


@csrf_exempt
def unknown_path(request, path: str = ""):
    """Any other path under `/api/openai/v1/`: OpenAI's 404, which the SDKs raise as `NotFoundError`."""
    message = f"Unknown request URL: {request.method} {request.path}. This server has no such endpoint."
    body = openai_error_body(message, type="invalid_request_error", code="unknown_url")
    return JsonResponse(body, status=404)


class OpenAIModelsView(APIView):
    """OpenAI's `GET /models`: the models a call may name."""

    def get_exception_handler(self):
        return openai_exception_handler

    @extend_schema(
        operation_id="openai_models",
        responses={200: OpenAIModelListSerializer, 401: OPENAI_ERRORS[401]},
        tags=["openai"],
    )
    def get(self, request):
        data = [
            {"id": model, "object": "model", "created": 0, "owned_by": "chatbot"}
            for model in settings.OPENAI_ALLOWED_MODELS
        ]
        return Response(OpenAIModelListSerializer({"object": "list", "data": data}).data)
