"""The views that ask the model: the send and regenerate (the OpenAI-compatible views build on the same base).

They parse, call the send pipeline (`chat.sending`) and render; the pipeline reserves, refunds and
knows where the quota stands. They are async (adrf), so a request waiting on the model holds no
thread, worker or database connection.
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Callable

from adrf.views import APIView as AsyncAPIView
from django.http import HttpResponseBase
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.parsers import MultiPartParser
from rest_framework.renderers import BaseRenderer, JSONRenderer
from rest_framework.response import Response

from chat.api.event_stream import event_stream_response, prompt_events
from chat.api.prompt_rendering import prompt_data
from chat.api.rate_limit import rate_limit_headers
from chat.api.request_serializers import MessageCreateSerializer, MessageEditSerializer, MessageWithImagesSerializer
from chat.api.serializers import PromptSerializer, QuotaExceededSerializer
from chat.gateway import get_gateway
from chat.refusals import refuse_early
from chat.sending import (
    SendAttempt,
    SendPlan,
    edit_prepare,
    regenerate_prepare,
    send_complete,
    send_prepare,
    send_stream,
)
from core.parsers import StrictJSONParser
from core.schema import ErrorDetailSerializer

RATE_LIMIT_HEADERS = [
    OpenApiParameter(
        "X-RateLimit-Limit", int, OpenApiParameter.HEADER, response=True, description="Completions allowed per day."
    ),
    OpenApiParameter(
        "X-RateLimit-Remaining", int, OpenApiParameter.HEADER, response=True, description="Completions left today."
    ),
    OpenApiParameter(
        "X-RateLimit-Reset", int, OpenApiParameter.HEADER, response=True, description="Unix time of the next reset."
    ),
]


class EventStreamRenderer(BaseRenderer):
    """Lets a send negotiate `text/event-stream`; the stream itself is written by `chat.api.event_stream`."""

    media_type = "text/event-stream"
    format = "sse"
    charset = "utf-8"

    def render(self, data, accepted_media_type=None, renderer_context=None):
        return json.dumps(data).encode()


class AsyncSendView(AsyncAPIView):
    """Base of the views that ask the model.

    DRF's `initial()` (content negotiation, authentication, permissions, throttles: everything DRF
    checks before a handler, including hooks added later) needs the database. For a send it runs
    inside the pipeline's first database unit, on `core.database`'s pool (`initial_in_unit`),
    not on the thread adrf would give it. Refusals (401, 400, 404, 429) are JSON; the answer is
    JSON or, with `Accept: text/event-stream`, a stream. Every answer to an authenticated caller
    carries the quota headers.
    """

    renderer_classes = [JSONRenderer, EventStreamRenderer]

    def initial(self, request, *args, **kwargs):
        if request.method != "POST":  # the send runs it in its database unit: `initial_in_unit`
            super().initial(request, *args, **kwargs)

    async def async_dispatch(self, request, *args, **kwargs):
        """adrf's, without the thread hop it spends on `initial()`, which a send runs in its own
        database unit (a hop for nothing was ~4 % of a send's CPU: docs/performance.md)."""
        if request.method != "POST":
            return await super().async_dispatch(request, *args, **kwargs)
        self.args, self.kwargs = args, kwargs
        request = self.initialize_request(request, *args, **kwargs)
        self.request = request
        self.headers = self.default_response_headers
        try:
            response = await self.post(request, *args, **kwargs)
        except Exception as exc:
            response = self.handle_exception(exc)
        self.response = self.finalize_response(request, response, *args, **kwargs)
        return self.response

    def initial_in_unit(self, request, attempt: SendAttempt):
        """DRF's whole `initial()`; the caller it authenticated is the attempt's, even when a
        permission or a throttle then refuses (their answer carries the quota headers too)."""
        try:
            super().initial(request, *self.args, **self.kwargs)
        finally:
            with contextlib.suppress(Exception):  # not authenticated: no caller to tell
                attempt.user = request.user
        return attempt.user

    def perform_content_negotiation(self, request, force=False):
        renderer, _ = super().perform_content_negotiation(request, force)
        request.wants_event_stream = isinstance(renderer, EventStreamRenderer)
        # Anything that is not the stream itself (errors, refusals) is answered in JSON.
        return JSONRenderer(), JSONRenderer.media_type

    async def send(self, request, build: Callable[..., SendPlan]) -> HttpResponseBase:
        """Prepare (checks, validation, reservation: `build(user)`) in one unit, then `respond`."""
        attempt, failure = SendAttempt(), None
        try:
            plan = await attempt.prepare(authorize=lambda: self.initial_in_unit(request, attempt), build=build)
            response = await self.respond(plan)
        except Exception as error:
            failure = error
            response = self.handle_exception(error)  # the view's exception handler: core.error_answers
        quota = await attempt.quota_after(failure)
        if quota is not None:
            for header, value in rate_limit_headers(quota).items():
                response[header] = value
        return response

    async def respond(self, plan: SendPlan) -> HttpResponseBase:
        """Ask the model for a prepared send and render the answer: JSON, or a stream when asked for."""
        context = {"request": self.request}
        if getattr(self.request, "wants_event_stream", False):
            return event_stream_response(prompt_events(send_stream(plan=plan, gateway=get_gateway()), context=context))
        result = await send_complete(plan=plan, gateway=get_gateway())
        return Response(prompt_data(result.prompt, context=context), status=status.HTTP_201_CREATED)


SEND_RESPONSES = {
    (201, "application/json"): PromptSerializer,
    (200, "text/event-stream"): OpenApiResponse(
        description="With `Accept: text/event-stream`: `delta` events, then one `done` (the prompt) or one "
        "`error` (`{detail, status}`) event."
    ),
    403: OpenApiResponse(
        ErrorDetailSerializer,
        description="Your address is not confirmed (`REQUIRE_VERIFIED_EMAIL`), or your groups do not allow the "
        "chat's model.",
    ),
    429: OpenApiResponse(
        QuotaExceededSerializer,
        description="Daily limit reached, or the message's worst case in tokens does not fit in what is left of "
        "your daily or monthly tokens (then `limit` and `remaining` are tokens); `Retry-After` gives the seconds "
        "until the reset.",
    ),
    502: OpenApiResponse(ErrorDetailSerializer, description="The model's server failed or refused."),
    503: OpenApiResponse(
        ErrorDetailSerializer,
        description="The model's server is busy, or the whole service's token budget is used up (`detail` says "
        "which, with `resets_at` for the budget); see `Retry-After`.",
    ),
    504: OpenApiResponse(ErrorDetailSerializer, description="The model did not answer in time."),
}


class MessageCreateView(AsyncSendView):
    """Send a message to the model; the answer is stored as the prompt's reply.

    With `Accept: text/event-stream` the answer streams as server-sent events: `delta` events
    (`{"content": ...}`) as the model writes, then one `done` event with the stored prompt, or one
    `error` event (`{"detail", "status"}`) if the model fails mid-way. Refusals (400, 404, 413,
    429) come as JSON before any stream starts.

    As `multipart/form-data` the message may carry images (`images`, one or more files) for a
    model that reads them; the stored prompt lists them (`images`), each at an API URL only its
    owner can read.
    """

    parser_classes = [StrictJSONParser, MultiPartParser]

    def build(self, user, chat_id: int) -> SendPlan:
        multipart = self.request.content_type.startswith("multipart/form-data")
        if multipart and (uploads := self.request.data.getlist("images")):
            refuse_early(user=user, images=len(uploads))  # before decoding them
        serializer = (MessageWithImagesSerializer if multipart else MessageCreateSerializer)(data=self.request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        return send_prepare(user=user, chat_id=chat_id, content=data["content"], images=data.get("images", ()))

    @extend_schema(
        request={"application/json": MessageCreateSerializer, "multipart/form-data": MessageWithImagesSerializer},
        parameters=RATE_LIMIT_HEADERS,
        responses={
            **SEND_RESPONSES,
            400: OpenApiResponse(
                OpenApiTypes.OBJECT,
                description='Invalid input: `{"field": ["message"]}`; or `{"detail": "..."}` for a body that is not '
                "JSON, an image that is not one (JPEG, PNG, GIF, WEBP), too many images for a message or for "
                "today, or images for a model that reads text only.",
            ),
            413: OpenApiResponse(ErrorDetailSerializer, description="An image, or the whole body, is too large."),
        },
    )
    async def post(self, request, pk: int):
        return await self.send(request, lambda user: self.build(user, pk))


class RegenerateView(AsyncSendView):
    """Ask the model again for the chat's last message, with the conversation before it.

    Like a send: one completion from the daily quota (given back if the model fails), JSON or a
    stream, 429 when none is left. The earlier answers are kept: the prompt's `reply` is the new
    one and `replies` lists them all. Only the chat's last message can be answered again (400).
    """

    @extend_schema(
        request=None,
        parameters=RATE_LIMIT_HEADERS,
        responses={
            **SEND_RESPONSES,
            400: OpenApiResponse(ErrorDetailSerializer, description="Not the chat's last message."),
            404: OpenApiResponse(ErrorDetailSerializer, description="No such chat of yours, or message in it."),
        },
    )
    async def post(self, request, pk: int, prompt_id: int):
        return await self.send(request, lambda user: regenerate_prepare(user=user, chat_id=pk, prompt_id=prompt_id))


class EditView(AsyncSendView):
    """Send a new version of one of the chat's messages: it and its answer become the current branch.

    Like a send: one completion from the daily quota (given back if the model fails), JSON or a
    stream, 429 when none is left. The new version is a sibling of the old one (`versions` lists
    them); the old one and everything after it stay on their own branch (`POST .../branch/`).
    """

    parser_classes = [StrictJSONParser]

    def build(self, user, chat_id: int, prompt_id: int) -> SendPlan:
        serializer = MessageEditSerializer(data=self.request.data)
        serializer.is_valid(raise_exception=True)
        return edit_prepare(
            user=user, chat_id=chat_id, prompt_id=prompt_id, content=serializer.validated_data["content"]
        )

    @extend_schema(
        request=MessageEditSerializer,
        parameters=RATE_LIMIT_HEADERS,
        responses={
            **SEND_RESPONSES,
            400: OpenApiResponse(
                OpenApiTypes.OBJECT,
                description='Invalid input: `{"field": ["message"]}`; or `{"detail": "..."}` for a body that is not '
                "JSON, a turn of tool results, or a message with images when the chat's model reads text only.",
            ),
            404: OpenApiResponse(ErrorDetailSerializer, description="No such chat of yours, or message in it."),
        },
    )
    async def post(self, request, pk: int, prompt_id: int):
        return await self.send(request, lambda user: self.build(user, pk, prompt_id))
