from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import generics, status
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView
from rest_framework_simplejwt.views import TokenObtainPairView, TokenRefreshView

from accounts.serializers import LogoutSerializer, SignupSerializer, UserSerializer
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
