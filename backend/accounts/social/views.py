"""Social login endpoints (`/api/v1/auth/social/`); the flow is described in accounts/social/__init__.py."""

import logging
from urllib.parse import urlencode

from allauth.socialaccount.adapter import get_adapter
from django.urls import reverse
from django.utils.decorators import method_decorator
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.exceptions import NotFound
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.authentication import JWTAuthentication
from accounts.invites import invite_hash
from accounts.social.adapter import spa_redirect
from accounts.social.providers import CALLBACK_VIEWS, PROVIDERS, enabled_providers
from accounts.social.serializers import (
    SocialExchangeSerializer,
    SocialLinkRequestSerializer,
    SocialLinkStartSerializer,
    SocialProviderSerializer,
    SocialStartQuerySerializer,
    SocialTokenPairSerializer,
)
from accounts.social.services import (
    social_account_unlink,
    social_link_ticket_consume,
    social_link_ticket_create,
    social_login_token_pair,
)
from accounts.throttles import AuthRateThrottle, SocialLinkThrottle, SocialStartThrottle
from accounts.tokens import auth_time_of
from core.errors import DATABASE_OUTAGE
from core.middleware import uses_session
from core.schema import ErrorDetailSerializer

logger = logging.getLogger(__name__)
# Seconds an anonymous session made by a start lives: the provider round trip, with room to spare.
START_SESSION_SECONDS = 600
PROVIDER_PARAMETER = OpenApiParameter("provider", str, OpenApiParameter.PATH, enum=list(PROVIDERS))


def enabled_provider(provider: str) -> str:
    if provider not in enabled_providers():
        raise NotFound(_("No such login provider is enabled."))
    return provider


class SocialProvidersView(APIView):
    permission_classes = [AllowAny]
    authentication_classes: list = []

    @extend_schema(responses={200: SocialProviderSerializer(many=True)})
    def get(self, request):
        """The enabled login providers."""
        providers = [{"id": provider, "name": PROVIDERS[provider]["name"]} for provider in enabled_providers()]
        return Response(SocialProviderSerializer(providers, many=True).data)


MAX_TICKET_LENGTH = 100


@uses_session  # allauth keeps the OAuth state in a short session
class SocialStartView(APIView):
    permission_classes = [AllowAny]
    authentication_classes: list = []
    throttle_classes = [SocialStartThrottle]

    def initial(self, request, *args, **kwargs):
        # A ticket is spent first, whatever else refuses the start (the throttle, the provider, the query).
        ticket = self.ticket(request)
        self.link_user = social_link_ticket_consume(ticket=ticket, provider=kwargs["provider"]) if ticket else None
        super().initial(request, *args, **kwargs)

    @extend_schema(
        parameters=[PROVIDER_PARAMETER, SocialStartQuerySerializer],
        responses={
            302: OpenApiResponse(description="To the provider's consent page."),
            400: OpenApiResponse(
                description="`state` or `code_challenge` missing or malformed, or a used `link` ticket."
            ),
            404: OpenApiResponse(description="Unknown or disabled provider."),
        },
    )
    def get(self, request, provider: str):
        """Start logging in (or, with a `link` ticket, linking) with a provider: open this in the browser."""
        ticket, user = self.ticket(request), self.link_user
        enabled_provider(provider)
        query = SocialStartQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        link_user_id = None
        if ticket:
            if user is None:
                return Response(
                    {"link": ["This link ticket is invalid, expired or already used."]},
                    status=status.HTTP_400_BAD_REQUEST,
                )
            link_user_id = user.pk
        if "_auth_user_id" not in request.session:  # an admin's session keeps its own lifetime
            request.session.set_expiry(START_SESSION_SECONDS)
        data = {
            "spa_state": query.validated_data["state"],
            "code_challenge": query.validated_data["code_challenge"],
            "link_user_id": link_user_id,
            # Only its hash waits in the session; it is spent if this login makes a new account.
            "invite_hash": invite_hash(query.validated_data["invite"]) if query.validated_data.get("invite") else None,
        }
        provider_ = get_adapter(request).get_provider(request, provider)
        return provider_.redirect(request, "login", data=data)

    @staticmethod
    def ticket(request) -> str | None:
        ticket = request.query_params.get("link")
        return ticket if isinstance(ticket, str) and 0 < len(ticket) <= MAX_TICKET_LENGTH else None


@uses_session  # allauth reads and ends that session here
def social_callback(request, provider: str):
    """Where the provider sends the browser back; it always ends at SOCIAL_LOGIN_REDIRECT_URL.

    It waits on the provider (token, profile, emails: up to SOCIAL_PROVIDER_TIMEOUT each) on the
    request's own thread: Django's ASGI handler gives each request its own, so nobody else waits.
    """
    if provider not in enabled_providers():
        return spa_redirect(error="failed")
    try:
        return CALLBACK_VIEWS[provider](request)
    except DATABASE_OUTAGE:
        raise  # a JSON 503 like everywhere (core.errors)
    except Exception:  # a profile allauth cannot read (no id...) or we cannot store: the login failed
        logger.exception("social login callback failed provider=%s", provider)
        return spa_redirect(error="failed")


@method_decorator(never_cache, name="dispatch")  # its answer is a token pair
class SocialExchangeView(APIView):
    permission_classes = [AllowAny]
    authentication_classes: list = []
    throttle_classes = [AuthRateThrottle]

    @extend_schema(
        request=SocialExchangeSerializer,
        responses={
            200: SocialTokenPairSerializer,
            400: OpenApiResponse(description="Invalid, expired or used code, or a verifier that does not match."),
        },
    )
    def post(self, request):
        """Exchange the one-time code from the login's redirect, with its PKCE verifier, for a token pair."""
        serializer = SocialExchangeSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        pair = social_login_token_pair(**serializer.validated_data)
        return Response(SocialTokenPairSerializer(pair).data)


class SocialLinkView(APIView):
    """Linking adds a way into the account, so like making an API key it needs a JWT, not a key
    (and the owner's address is mailed when a link is made)."""

    authentication_classes = [JWTAuthentication]
    throttle_classes = [SocialLinkThrottle]

    @extend_schema(
        request=SocialLinkRequestSerializer,
        parameters=[PROVIDER_PARAMETER],
        responses={
            200: SocialLinkStartSerializer,
            403: OpenApiResponse(
                ErrorDetailSerializer,
                description="No `current_password`, a wrong one, or (without a password) no recent login.",
            ),
            404: OpenApiResponse(description="Unknown or disabled provider."),
        },
    )
    def post(self, request, provider: str):
        """A start URL that links a provider account to you instead of logging in."""
        enabled_provider(provider)
        body = SocialLinkRequestSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        ticket = social_link_ticket_create(
            user=request.user,
            provider=provider,
            current_password=body.validated_data.get("current_password"),
            auth_time=auth_time_of(request.auth),
        )
        start = request.build_absolute_uri(reverse("social-start", kwargs={"provider": provider}))
        return Response(SocialLinkStartSerializer({"start_url": f"{start}?{urlencode({'link': ticket})}"}).data)


class SocialAccountView(APIView):
    @extend_schema(
        parameters=[PROVIDER_PARAMETER],
        responses={
            204: OpenApiResponse(description="Unlinked: the provider no longer logs you in."),
            400: OpenApiResponse(description="It is your only way left to log in."),
            404: OpenApiResponse(description="You have not linked this provider."),
        },
    )
    def delete(self, request, provider: str):
        """Unlink a provider from your account."""
        social_account_unlink(user=request.user, provider=provider)
        return Response(status=status.HTTP_204_NO_CONTENT)
