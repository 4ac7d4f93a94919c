"""The chat API: thin views that validate, call one service or selector, and render."""

from __future__ import annotations

import json

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.http import HttpResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import generics, status
from rest_framework.response import Response
from rest_framework.throttling import UserRateThrottle
from rest_framework.views import APIView

from chat.api.request_serializers import (
    BranchSwitchSerializer,
    ChatCreateSerializer,
    ChatDetailQuerySerializer,
    ChatListQuerySerializer,
    ChatWriteSerializer,
    ExportQuerySerializer,
    UsageQuerySerializer,
)
from chat.api.serializers import (
    ChatDetailSerializer,
    ChatExportSerializer,
    ChatSummarySerializer,
    DailyUsageSerializer,
    ModelListSerializer,
    PersonaSerializer,
)
from chat.branches import chat_branch_switch
from chat.exceptions import ImageNotFound
from chat.export import chat_markdown, image_name
from chat.images import stored_image_bytes
from chat.personas import personas_available
from chat.selectors import (
    chat_detail_queryset_for,
    chat_with_branch,
    chat_with_every_branch,
    chats_listed,
    daily_usage_for,
    image_of,
)
from chat.services import chat_create, chat_delete_all, chat_update
from core.schema import ErrorDetailSerializer
from core.throttling import FailOpenThrottleMixin


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
        return chats_listed(self.request.user, search=query.validated_data["search"])

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
        chat = chat_with_branch(chat_detail_queryset_for(request.user).get(pk=chat.pk))
        return Response(ChatDetailSerializer(chat, context={"request": request}).data, status=status.HTTP_201_CREATED)

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

    @extend_schema(
        parameters=[ChatDetailQuerySerializer],
        responses={
            200: ChatDetailSerializer,
            400: OpenApiResponse(
                OpenApiTypes.OBJECT,
                description='A bad page: `{"turns": [...]}` or `{"before": [...]}`, or `{"detail"}`.',
            ),
        },
        description="The chat with every turn of its current branch; with `?turns=N` only the newest N, and "
        "`older` the cursor of the ones before them (`?turns=N&before=<older>`).",
    )
    def get(self, request, *args, **kwargs):
        query = ChatDetailQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        chat = chat_with_branch(self.get_object(), **query.validated_data)
        return Response(ChatDetailSerializer(chat, context={"request": request}).data)

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
        chat = chat_with_branch(self.get_queryset().get(pk=chat.pk))
        return Response(ChatDetailSerializer(chat, context={"request": request}).data)

    @extend_schema(responses={204: OpenApiResponse(description="Deleted.")})
    def delete(self, request, *args, **kwargs):
        return super().delete(request, *args, **kwargs)


class BranchView(APIView):
    """Show another branch: the one through a version of a message (its newest versions below it)."""

    @extend_schema(
        request=BranchSwitchSerializer,
        parameters=[ChatDetailQuerySerializer],
        description="Answers the chat's detail as `GET` does, with the same `?turns=` paging.",
        responses={
            200: ChatDetailSerializer,
            400: OpenApiResponse(OpenApiTypes.OBJECT, description="A bad `prompt_id`, `turns` or `before`."),
            404: OpenApiResponse(ErrorDetailSerializer, description="No such chat of yours, or message in it."),
        },
    )
    def post(self, request, pk: int):
        serializer = BranchSwitchSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        query = ChatDetailQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        chat = chat_branch_switch(user=request.user, chat_id=pk, prompt_id=serializer.validated_data["prompt_id"])
        chat = chat_with_branch(chat_detail_queryset_for(request.user).get(pk=chat.pk), **query.validated_data)
        return Response(ChatDetailSerializer(chat, context={"request": request}).data)


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
    """The whole chat as a file: Markdown to read (default; the current branch), or JSON with every
    stored field (every branch, with `parent` to rebuild them)."""

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
            data = ChatExportSerializer(chat_with_every_branch(chat), context={"request": request}).data
            body = json.dumps(data, ensure_ascii=False, indent=2, cls=DjangoJSONEncoder)
            response = HttpResponse(body, content_type="application/json; charset=utf-8")
        else:
            response = HttpResponse(chat_markdown(chat_with_branch(chat)), content_type="text/markdown; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="chat-{chat.pk}.{query.validated_data["format"]}"'
        return response


class ChatImageView(APIView):
    """An image sent in one of your chats: its bytes, for its owner's credentials only (else 404)."""

    def perform_content_negotiation(self, request, force=False):
        # The answer is the image whatever the Accept header says (a browser's `image/*` is no 406).
        return super().perform_content_negotiation(request, force=True)

    @extend_schema(
        responses={
            (200, "image/*"): OpenApiResponse(OpenApiTypes.BINARY, description="The image (JPEG, PNG, GIF or WEBP).")
        }
    )
    def get(self, request, pk: int, image_id: int):
        image = image_of(request.user, chat_id=pk, image_id=image_id)
        if image is None:
            raise ImageNotFound()
        try:
            # Read whole (an image is at most CHAT_IMAGE_MAX_BYTES): a file iterator would be read
            # synchronously under ASGI anyway.
            data = stored_image_bytes(image)
        except FileNotFoundError as gone:  # its chat is being deleted right now
            raise ImageNotFound() from gone
        response = HttpResponse(data, content_type=image.media_type)
        response["Content-Disposition"] = f'inline; filename="{image_name(image)}"'
        response["Cache-Control"] = "private, max-age=3600"
        response["X-Content-Type-Options"] = "nosniff"
        response["Content-Security-Policy"] = "default-src 'none'; sandbox"
        return response
