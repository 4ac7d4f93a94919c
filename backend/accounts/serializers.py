from django.contrib.auth import password_validation
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import transaction
from rest_framework import serializers
from rest_framework.exceptions import AuthenticationFailed
from rest_framework_simplejwt.exceptions import InvalidToken, TokenError
from rest_framework_simplejwt.serializers import TokenRefreshSerializer
from rest_framework_simplejwt.settings import api_settings as jwt_settings
from rest_framework_simplejwt.tokens import RefreshToken

from accounts.models import ApiKey, User, UserManager
from accounts.social.serializers import LinkedSocialAccountSerializer
from accounts.social.services import can_log_in_with_password
from chat.quota import quota_status_for
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
            "email": {"validators": [], "required": True, "allow_null": False, "allow_blank": False},
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
    social_accounts = LinkedSocialAccountSerializer(source="socialaccount_set", many=True, read_only=True)
    has_password = serializers.SerializerMethodField(help_text="Whether email and password log this user in.")

    class Meta:
        model = User
        fields = ["id", "email", "nickname", "born_year", "job", "quota", "social_accounts", "has_password"]
        read_only_fields = ["id", "email", "quota"]
        extra_kwargs = {"job": {"allow_null": True}, "born_year": {"allow_null": True}}

    def get_quota(self, user: User) -> QuotaSerializer:
        return QuotaSerializer(quota_status_for(user)).data

    def get_has_password(self, user: User) -> bool:
        return can_log_in_with_password(user)


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


class RotatingTokenRefreshSerializer(TokenRefreshSerializer):
    """simplejwt's refresh, made atomic: one refresh token rotates once, however many calls race.

    Blacklisting the old token is a conditional insert (its `jti` is unique in the blacklist):
    the one call that inserts it gets the new pair; every other gets 401, as after a logout.
    """

    refresh = StrictCharField()

    def validate(self, attrs):
        refresh = self.token_class(attrs["refresh"])  # signature, expiry and blacklist (TokenError: 401)
        try:
            user = User.objects.filter(pk=refresh.payload.get(jwt_settings.USER_ID_CLAIM)).first()
        except (ValueError, TypeError):
            user = None
        if user is None or not jwt_settings.USER_AUTHENTICATION_RULE(user):
            raise AuthenticationFailed(self.error_messages["no_active_account"], "no_active_account")
        with transaction.atomic():
            _, first = refresh.blacklist()
            if not first:
                raise InvalidToken("Token is blacklisted")
            rotated = RefreshToken.for_user(user)
        return {"access": str(rotated.access_token), "refresh": str(rotated)}


class ApiKeySerializer(serializers.ModelSerializer):
    class Meta:
        model = ApiKey
        fields = ["id", "name", "prefix", "created_at", "last_used_at"]
        read_only_fields = fields


class ApiKeyCreateSerializer(serializers.Serializer):
    name = StrictCharField(max_length=100)


class NewApiKeySerializer(ApiKeySerializer):
    key = serializers.SerializerMethodField(help_text="The key itself (starts `cbk_`): shown this once.")

    class Meta(ApiKeySerializer.Meta):
        fields = [*ApiKeySerializer.Meta.fields, "key"]
        read_only_fields = fields

    def get_key(self, api_key) -> str:
        return self.context["key"]
