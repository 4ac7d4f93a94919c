"""Read-only links to a chat: the owner makes or revokes one; anyone with its token reads the chat."""

from __future__ import annotations

from django.conf import settings
from django.utils.cache import add_never_cache_headers
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.exceptions import ParseError
from rest_framework.generics import get_object_or_404
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.throttling import AnonRateThrottle
from rest_framework.views import APIView

from chat.api.share_serializers import SharedChatSerializer, ShareLinkSerializer
from chat.models import ChatBot
from chat.selectors import shared_chat_for
from chat.services import chat_share, chat_unshare
from core.errors import NotFound
from core.schema import ErrorDetailSerializer
from core.throttling import FailOpenThrottleMixin

TOKEN_MAX_CHARS = 100  # ours have 43; a longer one is not worth hashing


class SharedChatThrottle(FailOpenThrottleMixin, AnonRateThrottle):
    """Reads of shared chats per client address (SHARED_CHAT_THROTTLE_RATE): tokens are not for guessing."""

    scope = "shared_chat"

    def get_rate(self) -> str:
        return settings.SHARED_CHAT_THROTTLE_RATE

    def get_cache_key(self, request, view):
        return self.cache_format % {"scope": self.scope, "ident": self.get_ident(request)}


def shared_url(token: str) -> str:
    """The SPA's page of the link; the token rides in the fragment, which browsers send to no server."""
    return f"{settings.SPA_URL.split('#')[0]}#/shared/{token}"


class ChatShareView(APIView):
    """Your chat's read-only link: make it (or see the live one again), or stop sharing."""

    def chat(self) -> ChatBot:
        return get_object_or_404(ChatBot.objects.owned_by(self.request.user), pk=self.kwargs["pk"])

    @extend_schema(
        request=None,
        responses={
            201: OpenApiResponse(ShareLinkSerializer, description="The chat's live link (made now, or before)."),
            400: OpenApiResponse(ErrorDetailSerializer, description="A body was sent: sharing takes none."),
        },
        description="A chat has one live link at most: asking again gives the same token until it is revoked.",
    )
    def post(self, request, pk: int):
        if request.data:  # no options (an expiry, say) exist: asking for one is refused, not ignored
            raise ParseError(_("Sharing takes no request body."))
        # 201 each time, as the contract has it: asking again answers as the first time did.
        token, _created = chat_share(chat=self.chat())
        return Response(
            ShareLinkSerializer({"token": token, "url": shared_url(token)}).data, status=status.HTTP_201_CREATED
        )

    @extend_schema(request=None, responses={204: OpenApiResponse(description="The link no longer opens the chat.")})
    def delete(self, request, pk: int):
        chat_unshare(chat=self.chat())
        return Response(status=status.HTTP_204_NO_CONTENT)


class SharedChatView(APIView):
    """A shared chat as its link shows it, to anyone with the token (no login)."""

    authentication_classes: list = []  # a stale session of the reader's is no reason to refuse
    permission_classes = [AllowAny]
    throttle_classes = [SharedChatThrottle]

    @extend_schema(
        auth=[],
        responses={
            200: SharedChatSerializer,
            404: OpenApiResponse(
                ErrorDetailSerializer, description="No live link has this token (revoked, or never made)."
            ),
        },
    )
    def get(self, request, token: str):
        chat = shared_chat_for(token) if len(token) <= TOKEN_MAX_CHARS else None
        if chat is None:
            raise NotFound()
        return Response(SharedChatSerializer(chat).data)

    def finalize_response(self, request, response, *args, **kwargs):
        response = super().finalize_response(request, response, *args, **kwargs)
        # Revoked means gone: no cache keeps a copy; and no search engine lists what a link shows.
        add_never_cache_headers(response)
        response["X-Robots-Tag"] = "noindex, nofollow"
        return response
