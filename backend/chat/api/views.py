import inspect
import json
from collections.abc import AsyncIterator

from adrf.views import APIView as AsyncAPIView
from django.http import Http404, HttpResponseBase, StreamingHttpResponse
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import generics, status
from rest_framework.renderers import BaseRenderer, JSONRenderer
from rest_framework.response import Response

from chat.api.serializers import (
    ChatDetailSerializer,
    ChatSummarySerializer,
    ChatWriteSerializer,
    MessageCreateSerializer,
    PromptSerializer,
    QuotaExceededSerializer,
)
from chat.database import run_db
from chat.exceptions import QuotaExceeded
from chat.gateway import get_gateway
from chat.quota import QuotaStatus
from chat.selectors import chat_detail_queryset_for, chat_list_for
from chat.services import (
    StreamEvent,
    chat_create,
    chat_delete_all,
    chat_prepare_send,
    chat_send_message,
    chat_stream_message,
    chat_update,
)
from config.exceptions import upstream_error_status
from config.schema import ErrorDetailSerializer

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


class ChatListView(generics.ListCreateAPIView):
    """Your chats, most recently active first."""

    serializer_class = ChatSummarySerializer

    def get_queryset(self):
        return chat_list_for(self.request.user, search=self.request.query_params.get("search", ""))

    @extend_schema(
        parameters=[OpenApiParameter("search", str, description="Matches chat titles and message text.")],
        responses={200: ChatSummarySerializer(many=True)},
    )
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

    @extend_schema(request=ChatWriteSerializer, responses={201: ChatDetailSerializer})
    def post(self, request, *args, **kwargs):
        serializer = ChatWriteSerializer(data=request.data)
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
    """Lets a send negotiate `text/event-stream`; the stream itself is written by the view."""

    media_type = "text/event-stream"
    format = "sse"
    charset = "utf-8"

    def render(self, data, accepted_media_type=None, renderer_context=None):
        return json.dumps(data).encode()


def server_sent_event(name: str, data) -> str:
    return f"event: {name}\ndata: {json.dumps(data, separators=(',', ':'))}\n\n"


async def event_stream(events: AsyncIterator[StreamEvent]) -> AsyncIterator[str]:
    async for event in events:
        if event.event == "delta":
            yield server_sent_event("delta", event.data)
        elif event.event == "done":
            yield server_sent_event("done", PromptSerializer(event.data).data)
        elif isinstance(event.data, Http404):  # the chat was deleted meanwhile
            yield server_sent_event("error", {"detail": str(event.data), "status": 404})
        else:
            error = event.data
            yield server_sent_event("error", {"detail": error.detail, "status": upstream_error_status(error)})


class PooledAsyncAPIView(AsyncAPIView):
    """adrf's async APIView, with authentication and permission checks (a user lookup) run on
    `chat.database`'s pool instead of a thread of the request's own."""

    async def async_dispatch(self, request, *args, **kwargs):
        self.args, self.kwargs = args, kwargs
        request = self.initialize_request(request, *args, **kwargs)
        self.request = request
        self.headers = self.default_response_headers
        try:
            await run_db(self.initial, request, *args, **kwargs)
            handler = getattr(self, request.method.lower(), self.http_method_not_allowed)
            if inspect.iscoroutinefunction(handler):
                response = await handler(request, *args, **kwargs)
            else:  # OPTIONS, and the 405 of other methods
                response = handler(request, *args, **kwargs)
        except Exception as exc:
            response = self.handle_exception(exc)
        self.response = self.finalize_response(request, response, *args, **kwargs)
        return self.response


class MessageCreateView(PooledAsyncAPIView):
    """Send a message to the model; the answer is stored as the prompt's reply.

    With `Accept: text/event-stream` the answer streams as server-sent events: `delta` events
    (`{"content": ...}`) as the model writes, then one `done` event with the stored prompt, or one
    `error` event (`{"detail", "status"}`) if the model fails mid-way. Refusals (400, 404, 429)
    come as JSON before any stream starts.

    Async: the request awaits the model without holding a thread or a database connection.
    """

    renderer_classes = [JSONRenderer, EventStreamRenderer]

    def perform_content_negotiation(self, request, force=False):
        renderer, _ = super().perform_content_negotiation(request, force)
        request.wants_event_stream = isinstance(renderer, EventStreamRenderer)
        # Anything that is not the stream itself (errors, refusals) is answered in JSON.
        return JSONRenderer(), JSONRenderer.media_type

    @extend_schema(
        request=MessageCreateSerializer,
        parameters=RATE_LIMIT_HEADERS,
        responses={
            (201, "application/json"): PromptSerializer,
            (200, "text/event-stream"): OpenApiResponse(
                description="With `Accept: text/event-stream`: `delta`, then `done` (the prompt) or `error` events."
            ),
            429: OpenApiResponse(
                QuotaExceededSerializer,
                description="Daily limit reached; `Retry-After` gives the seconds until the reset.",
            ),
            502: OpenApiResponse(ErrorDetailSerializer, description="The model's server failed or refused."),
            503: OpenApiResponse(ErrorDetailSerializer, description="The model's server is busy; see `Retry-After`."),
            504: OpenApiResponse(ErrorDetailSerializer, description="The model did not answer in time."),
        },
    )
    async def post(self, request, pk: int):
        try:
            response, quota = await self.send(request, pk)
        except Exception as error:  # rendered by DRF's exception handler, then given the quota headers
            response = self.handle_exception(error)
            if isinstance(error, QuotaExceeded):
                quota = error.status
            else:
                quota = await run_db(QuotaStatus.for_user, request.user)
        for header, value in quota.headers().items():
            response[header] = value
        return response

    async def send(self, request, pk: int) -> tuple[HttpResponseBase, QuotaStatus]:
        serializer = MessageCreateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        content = serializer.validated_data["content"]
        if getattr(request, "wants_event_stream", False):
            plan = await chat_prepare_send(user=request.user, chat_id=pk, content=content)
            events = chat_stream_message(plan=plan, gateway=get_gateway())
            response = StreamingHttpResponse(event_stream(events), content_type="text/event-stream; charset=utf-8")
            response["Cache-Control"] = "no-cache"
            response["X-Accel-Buffering"] = "no"  # nginx and friends: do not buffer the stream
            return response, plan.reservation.status
        result = await chat_send_message(user=request.user, chat_id=pk, content=content, gateway=get_gateway())
        return Response(PromptSerializer(result.prompt).data, status=status.HTTP_201_CREATED), result.quota
