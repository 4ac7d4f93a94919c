from django.contrib import admin
from django.http import HttpResponse
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import generics, status
from rest_framework.exceptions import NotFound
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView
from rest_framework_simplejwt.authentication import JWTAuthentication
from rest_framework_simplejwt.views import TokenObtainPairView, TokenRefreshView

from accounts.api_keys import api_key_create, api_key_revoke
from accounts.models import ApiKey
from accounts.serializers import (
    ApiKeyCreateSerializer,
    ApiKeySerializer,
    LogoutSerializer,
    NewApiKeySerializer,
    RotatingTokenRefreshSerializer,
    SignupSerializer,
    UserSerializer,
)
from accounts.services import user_create, user_logout
from accounts.throttles import AuthRateThrottle


class SignupView(generics.CreateAPIView):
    serializer_class = SignupSerializer
    permission_classes = [AllowAny]
    authentication_classes: list = []
    throttle_classes = [AuthRateThrottle]

    def perform_create(self, serializer):
        serializer.instance = user_create(**serializer.validated_data)


class LoginView(TokenObtainPairView):
    """Exchange email and password for an access and a refresh token."""

    throttle_classes = [AuthRateThrottle]


class RefreshView(TokenRefreshView):
    """Exchange a refresh token for a new pair; the old refresh token stops working."""

    serializer_class = RotatingTokenRefreshSerializer


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


class ApiKeyListView(APIView):
    """Your personal API keys, for scripts and SDKs. Making one needs a JWT: a key cannot make keys."""

    def get_authenticators(self):
        if self.request is not None and self.request.method == "POST":
            return [JWTAuthentication()]
        return super().get_authenticators()

    @extend_schema(responses={200: ApiKeySerializer(many=True)})
    def get(self, request):
        keys = ApiKey.objects.filter(user=request.user)
        return Response(ApiKeySerializer(keys, many=True).data)

    @extend_schema(request=ApiKeyCreateSerializer, responses={201: NewApiKeySerializer})
    def post(self, request):
        serializer = ApiKeyCreateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        created = api_key_create(user=request.user, name=serializer.validated_data["name"])
        body = NewApiKeySerializer(created.api_key, context={"key": created.key}).data
        return Response(body, status=status.HTTP_201_CREATED)


class ApiKeyDetailView(APIView):
    @extend_schema(responses={204: OpenApiResponse(description="The key stops working at once.")})
    def delete(self, request, pk: int):
        if not api_key_revoke(user=request.user, key_id=pk):
            raise NotFound()
        return Response(status=status.HTTP_204_NO_CONTENT)
