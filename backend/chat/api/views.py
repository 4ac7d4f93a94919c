from adrf.views import APIView as AsyncAPIView
from asgiref.sync import sync_to_async
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import generics, status
from rest_framework.response import Response

from chat.api.serializers import (
    ChatDetailSerializer,
    ChatSummarySerializer,
    ChatWriteSerializer,
    ErrorDetailSerializer,
    MessageCreateSerializer,
    PromptSerializer,
    QuotaExceededSerializer,
)
from chat.gateway import get_gateway
from chat.quota import QuotaStatus
from chat.selectors import chat_detail_queryset_for, chat_list_for
from chat.services import chat_create, chat_delete_all, chat_send_message, chat_update

NOT_FOUND = OpenApiResponse(ErrorDetailSerializer, description="No such chat among yours.")
UNAUTHORIZED = OpenApiResponse(ErrorDetailSerializer, description="Missing, invalid or expired access token.")
RATE_LIMIT_HEADERS = [
    OpenApiParameter("X-RateLimit-Limit", int, OpenApiParameter.HEADER, response=True,
                     description="Completions allowed per day."),
    OpenApiParameter("X-RateLimit-Remaining", int, OpenApiParameter.HEADER, response=True,
                     description="Completions left today."),
    OpenApiParameter("X-RateLimit-Reset", int, OpenApiParameter.HEADER, response=True,
                     description="Unix time of the next reset."),
]


class ChatListView(generics.ListCreateAPIView):
    """Your chats, most recently active first."""

    serializer_class = ChatSummarySerializer

    def get_queryset(self):
        return chat_list_for(self.request.user, search=self.request.query_params.get("search", ""))

    @extend_schema(
        parameters=[OpenApiParameter("search", str, description="Matches chat titles and message text.")],
        responses={200: ChatSummarySerializer(many=True), 401: UNAUTHORIZED},
    )
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

    @extend_schema(request=ChatWriteSerializer, responses={201: ChatDetailSerializer, 401: UNAUTHORIZED})
    def post(self, request, *args, **kwargs):
        serializer = ChatWriteSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        chat = chat_create(user=request.user, **serializer.validated_data)
        chat = chat_detail_queryset_for(request.user).get(pk=chat.pk)
        return Response(ChatDetailSerializer(chat).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        operation_id="chats_destroy_all",
        request=None,
        responses={204: OpenApiResponse(description="All your chats are deleted."), 401: UNAUTHORIZED},
    )
    def delete(self, request, *args, **kwargs):
        chat_delete_all(user=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)


class ChatDetailView(generics.RetrieveUpdateDestroyAPIView):
    serializer_class = ChatDetailSerializer
    http_method_names = ["get", "patch", "delete", "head", "options"]

    def get_queryset(self):
        return chat_detail_queryset_for(self.request.user)

    @extend_schema(responses={200: ChatDetailSerializer, 401: UNAUTHORIZED, 404: NOT_FOUND})
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

    @extend_schema(
        request=ChatWriteSerializer,
        responses={200: ChatDetailSerializer, 401: UNAUTHORIZED, 404: NOT_FOUND},
        description="Rename the chat, or change its config or context; unset fields keep their value.",
    )
    def patch(self, request, *args, **kwargs):
        chat = self.get_object()
        serializer = ChatWriteSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        chat_update(chat=chat, **serializer.validated_data)
        chat = self.get_queryset().get(pk=chat.pk)
        return Response(ChatDetailSerializer(chat).data)

    @extend_schema(responses={204: OpenApiResponse(description="Deleted."), 401: UNAUTHORIZED, 404: NOT_FOUND})
    def delete(self, request, *args, **kwargs):
        return super().delete(request, *args, **kwargs)


class MessageCreateView(AsyncAPIView):
    """Send a message to the model; the answer is stored as the prompt's reply.

    Async: the request awaits the model without holding a thread or a database connection.
    """

    @extend_schema(
        request=MessageCreateSerializer,
        parameters=RATE_LIMIT_HEADERS,
        responses={
            201: PromptSerializer,
            400: OpenApiResponse(description="Invalid body, e.g. `{\"content\": [\"This field is required.\"]}`."),
            401: UNAUTHORIZED,
            404: NOT_FOUND,
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
            response = await self.send(request, pk)
        except Exception as error:  # rendered by DRF's exception handler, then given the quota headers
            response = self.handle_exception(error)
        quota = await sync_to_async(QuotaStatus.for_user)(request.user)
        for header, value in quota.headers().items():
            response[header] = value
        return response

    async def send(self, request, pk: int) -> Response:
        serializer = MessageCreateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        prompt = await chat_send_message(
            user=request.user, chat_id=pk, content=serializer.validated_data["content"], gateway=get_gateway()
        )
        return Response(PromptSerializer(prompt).data, status=status.HTTP_201_CREATED)
