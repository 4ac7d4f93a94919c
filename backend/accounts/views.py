from dataclasses import asdict

from django.contrib import admin
from django.http import HttpResponse
from django.utils.decorators import method_decorator
from django.views.decorators.cache import never_cache
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import generics, status
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView
from rest_framework_simplejwt.views import TokenObtainPairView, TokenRefreshView

from accounts.api_keys import api_key_create_for_owner, api_key_revoke
from accounts.authentication import JWTAuthentication
from accounts.invites import signup_open_check, signup_policy
from accounts.selectors import api_keys_of
from accounts.serializers import (
    ApiKeyCreateSerializer,
    ApiKeySerializer,
    EmailVerifySerializer,
    LogoutSerializer,
    NewApiKeySerializer,
    PasswordChangeSerializer,
    PasswordResetConfirmSerializer,
    PasswordResetRequestSerializer,
    RotatingTokenRefreshSerializer,
    SignupPolicySerializer,
    SignupSerializer,
    TokenObtainPairSerializer,
    UserSerializer,
)
from accounts.services import (
    email_verification_resend,
    email_verify,
    password_change,
    password_reset_confirm,
    password_reset_request,
    user_create,
    user_logout,
)
from accounts.throttles import AuthRateThrottle, EmailResendThrottle, reset_mail_allowed
from accounts.tokens import auth_time_of, token_refresh_rotate
from core.schema import ErrorDetailSerializer


class SignupView(generics.CreateAPIView):
    serializer_class = SignupSerializer
    permission_classes = [AllowAny]
    authentication_classes: list = []
    throttle_classes = [AuthRateThrottle]

    @extend_schema(
        responses={
            201: SignupSerializer,
            400: OpenApiResponse(
                description="Field errors; `invite_code` missing or not valid; `email` outside the domains."
            ),
            403: OpenApiResponse(ErrorDetailSerializer, description="Sign-up is closed (`SIGNUP_MODE=closed`)."),
        }
    )
    def post(self, request, *args, **kwargs):
        signup_open_check()  # before anything else is looked at
        return super().post(request, *args, **kwargs)

    def perform_create(self, serializer):
        serializer.instance = user_create(**serializer.validated_data)


class SignupPolicyView(APIView):
    permission_classes = [AllowAny]
    authentication_classes: list = []

    @extend_schema(responses={200: SignupPolicySerializer})
    def get(self, request):
        """Who may sign up now: the signup page asks for an invite code when `mode` is `invite`."""
        return Response(SignupPolicySerializer(signup_policy()).data)


@method_decorator(never_cache, name="dispatch")  # tokens and keys must not be kept by any cache
class LoginView(TokenObtainPairView):
    """Exchange email and password for an access and a refresh token."""

    serializer_class = TokenObtainPairSerializer
    throttle_classes = [AuthRateThrottle]


@method_decorator(never_cache, name="dispatch")  # tokens and keys must not be kept by any cache
class RefreshView(TokenRefreshView):
    """Exchange a refresh token for a new pair; the old refresh token stops working."""

    serializer_class = RotatingTokenRefreshSerializer

    def post(self, request, *args, **kwargs):
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        pair = token_refresh_rotate(refresh=serializer.validated_data["refresh"])
        return Response(asdict(pair))


class LogoutView(APIView):
    @extend_schema(
        request=LogoutSerializer,
        responses={204: OpenApiResponse(description="The refresh token no longer works.")},
    )
    def post(self, request):
        serializer = LogoutSerializer(data=request.data, context={"request": request})
        serializer.is_valid(raise_exception=True)
        user_logout(refresh=serializer.validated_data["refresh"])
        return Response(status=status.HTTP_204_NO_CONTENT)


class MeView(generics.RetrieveUpdateAPIView):
    serializer_class = UserSerializer
    http_method_names = ["get", "patch", "head", "options"]

    def get_object(self):
        return self.request.user


def throttled_admin_login(request, extra_context=None):
    """The admin's login page, behind the same per-IP limit as the API's login (attempts only)."""
    if request.method == "POST" and not AuthRateThrottle().allow_request(request, None):
        return HttpResponse("Too many login attempts. Please wait a minute.", status=429, content_type="text/plain")
    return admin.site.login(request, extra_context)


@method_decorator(never_cache, name="dispatch")  # tokens and keys must not be kept by any cache
class ApiKeyListView(APIView):
    """Your personal API keys, for scripts and SDKs. Making one needs a JWT: a key cannot make keys."""

    def get_authenticators(self):
        if self.request is not None and self.request.method == "POST":
            return [JWTAuthentication()]
        return super().get_authenticators()

    def get_throttles(self):  # making one checks a password: no unlimited guesses
        return [AuthRateThrottle()] if self.request.method == "POST" else []

    @extend_schema(responses={200: ApiKeySerializer(many=True)})
    def get(self, request):
        return Response(ApiKeySerializer(api_keys_of(request.user), many=True).data)

    @extend_schema(
        request=ApiKeyCreateSerializer,
        responses={
            201: NewApiKeySerializer,
            403: OpenApiResponse(
                ErrorDetailSerializer,
                description="No `current_password`, a wrong one, or (without a password) no recent login.",
            ),
        },
    )
    def post(self, request):
        serializer = ApiKeyCreateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        created = api_key_create_for_owner(
            user=request.user,
            name=serializer.validated_data["name"],
            current_password=serializer.validated_data.get("current_password"),
            auth_time=auth_time_of(request.auth),
        )
        body = NewApiKeySerializer(created.api_key, context={"key": created.key}).data
        return Response(body, status=status.HTTP_201_CREATED)


class ApiKeyDetailView(APIView):
    @extend_schema(responses={204: OpenApiResponse(description="The key stops working at once.")})
    def delete(self, request, pk: int):
        api_key_revoke(user=request.user, key_id=pk)
        return Response(status=status.HTTP_204_NO_CONTENT)


# --- Email verification and password reset ------------------------------------------------------

DONE = OpenApiResponse(description="Done.")


class PasswordResetView(APIView):
    permission_classes = [AllowAny]
    authentication_classes: list = []
    throttle_classes = [AuthRateThrottle]  # and, silently, per address (reset_mail_allowed)

    @extend_schema(
        request=PasswordResetRequestSerializer,
        responses={
            204: OpenApiResponse(
                description="A link is mailed if an account has this address (at most PASSWORD_RESET_THROTTLE_RATE "
                "an address); the answer is the same either way."
            )
        },
    )
    def post(self, request):
        """Mail a password reset link. The answer is the same whether or not the address has an account."""
        serializer = PasswordResetRequestSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        email = serializer.validated_data["email"]
        if reset_mail_allowed(email):
            password_reset_request(email=email)
        return Response(status=status.HTTP_204_NO_CONTENT)


class PasswordResetConfirmView(APIView):
    permission_classes = [AllowAny]
    authentication_classes: list = []
    throttle_classes = [AuthRateThrottle]

    @extend_schema(
        request=PasswordResetConfirmSerializer,
        responses={
            204: OpenApiResponse(description="The new password works; every earlier session has ended."),
            400: OpenApiResponse(description="A bad, used or expired link, or a password the validators refuse."),
        },
    )
    def post(self, request):
        """Set a new password with the `uid` and `token` of a reset link."""
        serializer = PasswordResetConfirmSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        password_reset_confirm(**serializer.validated_data)
        return Response(status=status.HTTP_204_NO_CONTENT)


class PasswordChangeView(APIView):
    """Like making an API key, this needs a JWT: a key for scripts cannot take over the account."""

    authentication_classes = [JWTAuthentication]
    throttle_classes = [AuthRateThrottle]

    @extend_schema(
        request=PasswordChangeSerializer,
        responses={204: OpenApiResponse(description="Changed; every session, this one too, has ended: log in again.")},
    )
    def post(self, request):
        """Change your password (the current one is required)."""
        serializer = PasswordChangeSerializer(data=request.data, context={"request": request})
        serializer.is_valid(raise_exception=True)
        password_change(user=request.user, new_password=serializer.validated_data["new_password"])
        return Response(status=status.HTTP_204_NO_CONTENT)


class EmailVerifyView(APIView):
    permission_classes = [AllowAny]
    authentication_classes: list = []
    throttle_classes = [AuthRateThrottle]

    @extend_schema(
        request=EmailVerifySerializer,
        responses={204: DONE, 400: OpenApiResponse(description="A bad, used or expired key.")},
    )
    def post(self, request):
        """Confirm an email address with the key of the link mailed to it."""
        serializer = EmailVerifySerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        email_verify(key=serializer.validated_data["key"])
        return Response(status=status.HTTP_204_NO_CONTENT)


class EmailVerifyResendView(APIView):
    throttle_classes = [EmailResendThrottle]

    @extend_schema(
        request=None,
        responses={204: DONE, 400: OpenApiResponse(description="The address is verified already, or there is none.")},
    )
    def post(self, request):
        """Mail the verification link again."""
        email_verification_resend(user=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)
