"""The chat API: thin views that validate, call one service or selector, and render."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable

from adrf.views import APIView as AsyncAPIView
from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.http import HttpResponse, HttpResponseBase
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import generics, status
from rest_framework.renderers import BaseRenderer, JSONRenderer
from rest_framework.response import Response
from rest_framework.throttling import UserRateThrottle
from rest_framework.views import APIView

from chat.api.event_stream import event_stream_response, prompt_events
from chat.api.rate_limit import rate_limit_headers
from chat.api.serializers import (
    ChatCreateSerializer,
    ChatDetailSerializer,
    ChatExportSerializer,
    ChatListQuerySerializer,
    ChatSummarySerializer,
    ChatWriteSerializer,
    DailyUsageSerializer,
    ExportQuerySerializer,
    MessageCreateSerializer,
    ModelListSerializer,
    PersonaSerializer,
    PromptSerializer,
    QuotaExceededSerializer,
    UsageQuerySerializer,
)
from chat.database import run_db
from chat.exceptions import QuotaExceeded
from chat.export import chat_markdown
from chat.gateway import get_gateway
from chat.personas import personas_available
from chat.quota import quota_release, quota_status_for
from chat.selectors import chat_detail_queryset_for, chat_list_for, daily_usage_for
from chat.sending import SendPlan, regenerate_prepare, send_complete, send_prepare, send_stream
from chat.services import chat_create, chat_delete_all, chat_update
from config.schema import ErrorDetailSerializer
from config.throttling import FailOpenThrottleMixin

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


class ChatCreateThrottle(FailOpenThrottleMixin, UserRateThrottle):
    """New chats per user per minute (CHAT_CREATE_THROTTLE_RATE)."""

    scope = "chat_create"

    def get_rate(self) -> str:
        return settings.CHAT_CREATE_THROTTLE_RATE


class ChatListView(generics.ListCreateAPIView):
    """Your chats, most recently active first."""

    serializer_class = ChatSummarySerializer

    def get_throttles(self):
        return [ChatCreateThrottle()] if self.request.method == "POST" else []

    def get_queryset(self):
        query = ChatListQuerySerializer(data=self.request.query_params)
        query.is_valid(raise_exception=True)
        return chat_list_for(self.request.user, search=query.validated_data["search"])

    @extend_schema(
        parameters=[
            OpenApiParameter("search", str, description="Matches chat titles and message text (up to 200 characters).")
        ],
        responses={200: ChatSummarySerializer(many=True)},
    )
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

    @extend_schema(request=ChatCreateSerializer, responses={201: ChatDetailSerializer})
    def post(self, request, *args, **kwargs):
        serializer = ChatCreateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        chat = chat_create(user=request.user, **serializer.validated_data)
        chat = chat_detail_queryset_for(request.user).get(pk=chat.pk)
        return Response(ChatDetailSerializer(chat).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        operation_id="chats_destroy_all",
        request=None,
        responses={204: OpenApiResponse(description="All your chats are deleted.")},
    )
    def delete(self, request, *args, **kwargs):
        chat_delete_all(user=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)


class ChatDetailView(generics.RetrieveUpdateDestroyAPIView):
    serializer_class = ChatDetailSerializer
    http_method_names = ["get", "patch", "delete", "head", "options"]

    def get_queryset(self):
        return chat_detail_queryset_for(self.request.user)

    @extend_schema(responses={200: ChatDetailSerializer})
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

    @extend_schema(
        request=ChatWriteSerializer,
        responses={200: ChatDetailSerializer},
        description="Rename the chat, or change its config or context; unset fields keep their value.",
    )
    def patch(self, request, *args, **kwargs):
        chat = self.get_object()
        serializer = ChatWriteSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        chat_update(chat=chat, **serializer.validated_data)
        chat = self.get_queryset().get(pk=chat.pk)
        return Response(ChatDetailSerializer(chat).data)

    @extend_schema(responses={204: OpenApiResponse(description="Deleted.")})
    def delete(self, request, *args, **kwargs):
        return super().delete(request, *args, **kwargs)


class EventStreamRenderer(BaseRenderer):
    """Lets a send negotiate `text/event-stream`; the stream itself is written by `chat.api.event_stream`."""

    media_type = "text/event-stream"
    format = "sse"
    charset = "utf-8"

    def render(self, data, accepted_media_type=None, renderer_context=None):
        return json.dumps(data).encode()


class AsyncSendView(AsyncAPIView):
    """Base of the views that ask the model: async, so waiting on it holds no thread or connection.

    adrf runs `initial()` on a thread of the request's own; authentication and permissions need
    the database, so they are deferred (DRF's documented lazy-authentication hook) to `authorize`,
    which runs on `chat.database`'s pool in the same unit as the send's own first step.
    Refusals (401, 400, 404, 429) are JSON; the answer is JSON or, with `Accept:
    text/event-stream`, a stream. Every answer to an authenticated caller carries the quota headers.
    """

    renderer_classes = [JSONRenderer, EventStreamRenderer]

    def perform_authentication(self, request):
        if request.method != "POST":  # the send itself authenticates in `authorize`, on the pool
            super().perform_authentication(request)

    def check_permissions(self, request):
        if request.method != "POST":
            super().check_permissions(request)

    def authorize(self, request):
        self.caller = request.user  # DRF's authenticators run here
        super().check_permissions(request)
        return self.caller

    def perform_content_negotiation(self, request, force=False):
        renderer, _ = super().perform_content_negotiation(request, force)
        request.wants_event_stream = isinstance(renderer, EventStreamRenderer)
        # Anything that is not the stream itself (errors, refusals) is answered in JSON.
        return JSONRenderer(), JSONRenderer.media_type

    async def send(self, request, prepare: Callable[[], SendPlan]) -> HttpResponseBase:
        """Run `prepare` (authorize, validate, reserve) on the pool, then `respond` (ask the model, render)."""
        self.caller, plan, quota = None, None, None
        try:
            plan = await self.prepared(prepare)
            quota = plan.reservation.status
            response = await self.respond(plan)
        except Exception as error:
            response = self.handle_exception(error)  # the view's exception handler: config.exceptions
            if isinstance(error, QuotaExceeded):
                quota = error.status
            elif plan is not None:
                quota = plan.reservation.status.with_released()  # the failed send gave its unit back
            elif self.caller:
                quota = await run_db(quota_status_for, self.caller)  # refused before reserving
        if quota is not None:
            for header, value in rate_limit_headers(quota).items():
                response[header] = value
        return response

    @staticmethod
    async def prepared(prepare: Callable[[], SendPlan]) -> SendPlan:
        """Run `prepare` on the pool; a client gone meanwhile gets its reservation given back."""
        unit = asyncio.ensure_future(run_db(prepare))
        try:
            return await asyncio.shield(unit)
        except asyncio.CancelledError:
            await asyncio.wait([unit])
            if not unit.cancelled() and unit.exception() is None:
                await asyncio.shield(run_db(quota_release, reservation=unit.result().reservation))
            raise

    async def respond(self, plan: SendPlan) -> HttpResponseBase:
        """Ask the model for a prepared send and render the answer: JSON, or a stream when asked for."""
        if getattr(self.request, "wants_event_stream", False):
            return event_stream_response(prompt_events(send_stream(plan=plan, gateway=get_gateway())))
        result = await send_complete(plan=plan, gateway=get_gateway())
        return Response(PromptSerializer(result.prompt).data, status=status.HTTP_201_CREATED)


SEND_RESPONSES = {
    (201, "application/json"): PromptSerializer,
    (200, "text/event-stream"): OpenApiResponse(
        description="With `Accept: text/event-stream`: `delta` events, then one `done` (the prompt) or one "
        "`error` (`{detail, status}`) event."
    ),
    429: OpenApiResponse(
        QuotaExceededSerializer,
        description="Daily limit reached; `Retry-After` gives the seconds until the reset.",
    ),
    502: OpenApiResponse(ErrorDetailSerializer, description="The model's server failed or refused."),
    503: OpenApiResponse(ErrorDetailSerializer, description="The model's server is busy; see `Retry-After`."),
    504: OpenApiResponse(ErrorDetailSerializer, description="The model did not answer in time."),
}


class MessageCreateView(AsyncSendView):
    """Send a message to the model; the answer is stored as the prompt's reply.

    With `Accept: text/event-stream` the answer streams as server-sent events: `delta` events
    (`{"content": ...}`) as the model writes, then one `done` event with the stored prompt, or one
    `error` event (`{"detail", "status"}`) if the model fails mid-way. Refusals (400, 404, 429)
    come as JSON before any stream starts.
    """

    def prepare(self, request, chat_id: int) -> SendPlan:
        user = self.authorize(request)
        serializer = MessageCreateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        return send_prepare(user=user, chat_id=chat_id, content=serializer.validated_data["content"])

    @extend_schema(request=MessageCreateSerializer, parameters=RATE_LIMIT_HEADERS, responses=SEND_RESPONSES)
    async def post(self, request, pk: int):
        return await self.send(request, lambda: self.prepare(request, pk))


class RegenerateView(AsyncSendView):
    """Ask the model again for the chat's last message, with the conversation before it.

    Like a send: one completion from the daily quota (given back if the model fails), JSON or a
    stream, 429 when none is left. The earlier answers are kept: the prompt's `reply` is the new
    one and `replies` lists them all. Only the chat's last message can be answered again (400).
    """

    def prepare(self, request, chat_id: int, prompt_id: int) -> SendPlan:
        return regenerate_prepare(user=self.authorize(request), chat_id=chat_id, prompt_id=prompt_id)

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
        return await self.send(request, lambda: self.prepare(request, pk, prompt_id))


class PersonasView(APIView):
    """Personas a new chat can start from: a system prompt with variables to fill in."""

    @extend_schema(responses={200: PersonaSerializer(many=True)})
    def get(self, request):
        return Response(PersonaSerializer(personas_available(), many=True).data)


class ModelsView(APIView):
    """The models a chat may use, and the default of a new chat."""

    @extend_schema(responses={200: ModelListSerializer})
    def get(self, request):
        return Response(
            ModelListSerializer({"default": settings.OPENAI_MODEL, "models": settings.OPENAI_ALLOWED_MODELS}).data
        )


class UsageView(APIView):
    """Your completions and tokens per day, oldest first, days without any included."""

    @extend_schema(
        parameters=[OpenApiParameter("days", int, description="How many days back, today included (1 to 90).")],
        responses={200: DailyUsageSerializer(many=True)},
    )
    def get(self, request):
        query = UsageQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        usage = daily_usage_for(request.user, days=query.validated_data["days"])
        return Response(DailyUsageSerializer(usage, many=True).data)


class ChatExportView(generics.RetrieveAPIView):
    """The whole chat as a file: Markdown to read (default), or JSON with every stored field."""

    def get_queryset(self):
        return chat_detail_queryset_for(self.request.user)

    def perform_content_negotiation(self, request, force=False):
        # `?format=` chooses the file's type, so an `Accept: text/markdown` is no reason for a 406.
        return super().perform_content_negotiation(request, force=True)

    @extend_schema(
        parameters=[OpenApiParameter("format", str, enum=["md", "json"], description="`md` (default) or `json`.")],
        responses={
            (200, "text/markdown"): OpenApiResponse(OpenApiTypes.STR, description="The chat as a Markdown file."),
            (200, "application/json"): ChatExportSerializer,
        },
    )
    def get(self, request, *args, **kwargs):
        query = ExportQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        chat = self.get_object()
        if query.validated_data["format"] == "json":
            body = json.dumps(ChatExportSerializer(chat).data, ensure_ascii=False, indent=2, cls=DjangoJSONEncoder)
            response = HttpResponse(body, content_type="application/json; charset=utf-8")
        else:
            response = HttpResponse(chat_markdown(chat), content_type="text/markdown; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="chat-{chat.pk}.{query.validated_data["format"]}"'
        return response
