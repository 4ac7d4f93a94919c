from django.contrib.auth import password_validation
from django.core.exceptions import ValidationError as DjangoValidationError
from rest_framework import serializers
from rest_framework_simplejwt.exceptions import TokenError
from rest_framework_simplejwt.tokens import RefreshToken

from accounts.models import User, UserManager
from chat.quota import QuotaStatus
from config.serializer_fields import StrictCharField, StrictModelSerializer


class QuotaSerializer(serializers.Serializer):
    limit = serializers.IntegerField()
    used = serializers.IntegerField()
    remaining = serializers.IntegerField()
    resets_at = serializers.DateTimeField()


class SignupSerializer(StrictModelSerializer):
    """Only these fields are read from the body; anything else (`is_staff`...) is ignored."""

    password = StrictCharField(write_only=True, max_length=128, style={"input_type": "password"})

    class Meta:
        model = User
        fields = ["id", "email", "password", "nickname", "born_year", "job"]
        read_only_fields = ["id"]
        extra_kwargs = {
            "job": {"allow_null": True},
            "born_year": {"allow_null": True},
            # Uniqueness is checked once, case-insensitively, in validate_email.
            "email": {"validators": []},
        }

    def validate_email(self, value: str) -> str:
        email = UserManager.normalize_email(value)
        if User.objects.filter(email__iexact=email).exists():
            raise serializers.ValidationError("A user with this email already exists.")
        return email

    def validate(self, attrs):
        candidate = User(**{key: value for key, value in attrs.items() if key != "password"})
        try:
            password_validation.validate_password(attrs["password"], user=candidate)
        except DjangoValidationError as error:
            raise serializers.ValidationError({"password": list(error.messages)}) from error
        return attrs


class UserSerializer(StrictModelSerializer):
    quota = serializers.SerializerMethodField()

    class Meta:
        model = User
        fields = ["id", "email", "nickname", "born_year", "job", "quota"]
        read_only_fields = ["id", "email", "quota"]
        extra_kwargs = {"job": {"allow_null": True}, "born_year": {"allow_null": True}}

    def get_quota(self, user: User) -> QuotaSerializer:
        return QuotaSerializer(QuotaStatus.for_user(user)).data


class LogoutSerializer(serializers.Serializer):
    refresh = StrictCharField()

    def validate_refresh(self, value: str) -> RefreshToken:
        try:
            token = RefreshToken(value)
        except TokenError as error:
            raise serializers.ValidationError("This refresh token is invalid or already revoked.") from error
        if str(token.get("user_id")) != str(self.context["request"].user.pk):
            raise serializers.ValidationError("This refresh token belongs to another session.")
        return token
