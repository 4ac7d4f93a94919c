"""An OpenAI-compatible API (`<API>/api/openai/v1`): any OpenAI client, our keys, quota and history.

The same send pipeline as the REST send (chat.sending): the same quota reservation, gateway,
storage and cancellation. Only the shapes differ: OpenAI's requests, answers and errors.
"""

from __future__ import annotations

import re

from django.conf import settings
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework.exceptions import (
    APIException,
    AuthenticationFailed,
    NotAuthenticated,
    ValidationError,
)
from rest_framework.renderers import JSONRenderer
from rest_framework.response import Response
from rest_framework.views import APIView

from chat.api.event_stream import event_stream_response
from chat.api.views import RATE_LIMIT_HEADERS, AsyncSendView, EventStreamRenderer
from chat.exceptions import QuotaExceeded
from chat.gateway import CompletionRequest, get_gateway
from chat.openai_api.serializers import (
    ChatCompletionRequestSerializer,
    ChatCompletionSerializer,
    OpenAIErrorSerializer,
    OpenAIModelListSerializer,
    message_text,
)
from chat.openai_api.wire import completion_body, completion_chunks, completion_id, error_body, error_body_for
from chat.sending import SendPlan, completion_prepare, send_complete, send_stream, started
from config.exceptions import error_answer

CHAT_ID = re.compile(r"[0-9]{1,18}")
PASSED_ON = ("top_p", "presence_penalty", "frequency_penalty", "seed", "stop", "max_completion_tokens")


def _first_error(detail, path: str = "") -> tuple[str, str]:
    """(field path, message) of the first error in a DRF ValidationError's detail."""
    if isinstance(detail, dict):
        key, value = next(iter(detail.items()))
        name = "" if key == "non_field_errors" else str(key)
        return _first_error(value, f"{path}.{name}".strip(".") if name else path)
    if isinstance(detail, list) and detail:
        return _first_error(detail[0], path)
    return path, str(detail)


def openai_exception_handler(exc, context):
    """Errors in OpenAI's shape `{"error": {message, type, param, code}}`, with OpenAI's statuses."""
    answer = error_answer(exc)
    if answer is None:
        return None  # a bug: Django's JSON 500
    headers = dict(answer.headers)
    if isinstance(exc, NotAuthenticated | AuthenticationFailed):
        message = "Incorrect or missing API key: send `Authorization: Bearer cbk_...`."
        if isinstance(exc, AuthenticationFailed):
            message = answer.detail or message
        body = error_body(message, type="invalid_request_error", code="invalid_api_key")
        if getattr(exc, "auth_header", None):
            headers["WWW-Authenticate"] = exc.auth_header
    elif isinstance(exc, ValidationError):
        param, message = _first_error(exc.detail)
        if param == "model":
            message = "The model does not exist or you do not have access to it. " + message
            body = error_body(message, type="invalid_request_error", param="model", code="model_not_found")
        else:
            body = error_body(f"{param}: {message}" if param else message, type="invalid_request_error", param=param)
    elif isinstance(exc, APIException):
        body = error_body(answer.detail, type="invalid_request_error", code=str(exc.default_code))
    else:
        body = error_body_for(answer)
        if isinstance(exc, QuotaExceeded):
            headers["x-should-retry"] = "false"  # the SDKs' own retries cannot help before the reset
    return Response(body, status=answer.status, headers=headers)


OPENAI_ERRORS = {
    code: OpenApiResponse(OpenAIErrorSerializer, description=description)
    for code, description in {
        400: "Invalid body or model (`invalid_request_error`, `model_not_found`).",
        401: "Missing or invalid API key (`invalid_api_key`).",
        404: "`X-Chat-ID` names no chat of yours.",
        429: "Daily limit reached (`rate_limit_exceeded`); see `Retry-After`.",
        502: "The model's server failed.",
        503: "The model's server is busy, or the service is; see `Retry-After`.",
        504: "The model did not answer in time.",
    }.items()
}


class ChatCompletionsView(AsyncSendView):
    """OpenAI's `POST /chat/completions`: plain, or streamed with `"stream": true`.

    Counts against the daily quota like any send, and is stored as history: a new chat per call,
    or appended to the chat named by the `X-Chat-ID` header.
    """

    # `stream` in the body decides; an SSE client's `Accept: text/event-stream` is welcome either way.
    renderer_classes = [JSONRenderer, EventStreamRenderer]

    def get_exception_handler(self):
        return openai_exception_handler

    def prepare(self, request) -> SendPlan:
        user = self.authorize(request)
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
        system = "\n\n".join(
            m["content"] for m in body["messages"] if m["role"] == "system" and isinstance(m["content"], str)
        )
        new_chat_config = {
            "model": body["model"],
            "temperature": round(body["temperature"] if body.get("temperature") is not None else 1.0, 2),
            "max_tokens": max_tokens or body.get("max_completion_tokens") or settings.CHAT_DEFAULT_MAX_TOKENS,
            "stream": self.stream,
            "system_prompt": system[:4000],
        }
        last_user_message = next(m for m in reversed(body["messages"]) if m["role"] == "user")
        return completion_prepare(
            user=user,
            request=upstream,
            content=message_text(last_user_message),
            chat_id=chat_id,
            new_chat_config=new_chat_config,
        )

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
                    items, completion_id=identifier, model=plan.request.model, include_usage=self.include_usage
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
        return await self.send(request, lambda: self.prepare(request))


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
