from dataclasses import asdict

from django.contrib.auth import password_validation
from django.core.exceptions import ValidationError as DjangoValidationError
from django.utils.translation import gettext as _
from drf_spectacular.contrib.rest_framework_simplejwt import TokenObtainPairSerializerExtension
from rest_framework import serializers
from rest_framework_simplejwt import serializers as jwt_serializers
from rest_framework_simplejwt.exceptions import TokenError
from rest_framework_simplejwt.serializers import TokenRefreshSerializer
from rest_framework_simplejwt.tokens import RefreshToken

from accounts.exceptions import EmailDomainRefused, EmailTaken
from accounts.invites import email_domain_allowed
from accounts.models import ApiKey, User, UserManager
from accounts.selectors import email_in_use
from accounts.services import password_reset_user
from accounts.social.serializers import LinkedSocialAccountSerializer
from accounts.social.services import can_log_in_with_password
from accounts.tokens import refresh_for_login
from chat.allowances import allowance_for
from chat.quota_status import quota_status_for, token_status_for
from core.serializer_fields import StrictCharField, StrictModelSerializer


class TokenBudgetSerializer(serializers.Serializer):
    limit = serializers.IntegerField(allow_null=True, help_text="Tokens (prompt + completion); null: no limit.")
    used = serializers.IntegerField()
    remaining = serializers.IntegerField(allow_null=True, help_text="Less what sends in flight hold; null: no limit.")


class TokenBudgetsSerializer(serializers.Serializer):
    daily = TokenBudgetSerializer()
    monthly = TokenBudgetSerializer(help_text="The calendar month, in the server's time zone.")


class QuotaSerializer(serializers.Serializer):
    limit = serializers.IntegerField()
    used = serializers.IntegerField()
    remaining = serializers.IntegerField()
    resets_at = serializers.DateTimeField()
    tokens = TokenBudgetsSerializer()


class AllowanceSerializer(serializers.Serializer):
    source = serializers.ChoiceField(
        choices=["user", "group", "default"],
        help_text="Which allowance applies: set for you, your groups' (the most generous), or the service's.",
    )
    groups = serializers.ListField(child=serializers.CharField(), help_text="The groups you are in.")
    models = serializers.ListField(
        child=serializers.CharField(), allow_null=True, help_text="The models you may use; null: every allowed one."
    )


class SignupSerializer(StrictModelSerializer):
    """Only these fields are read from the body; anything else (`is_staff`...) is ignored."""

    password = StrictCharField(write_only=True, max_length=128, style={"input_type": "password"})
    invite_code = StrictCharField(
        write_only=True,
        required=False,
        allow_blank=True,
        max_length=64,
        help_text="Needed when sign-up is by invitation (`GET signup/policy/` says `mode: invite`).",
    )

    class Meta:
        model = User
        fields = ["id", "email", "password", "invite_code", "nickname", "born_year", "job"]
        read_only_fields = ["id"]
        extra_kwargs = {
            "job": {"allow_null": True},
            "born_year": {"allow_null": True},
            # Uniqueness is a rule of the service (user_create), case-insensitive and race-safe.
            "email": {"validators": [], "required": True, "allow_null": False, "allow_blank": False},
        }

    def validate_email(self, value: str) -> str:
        if email_in_use(value):  # told with the other fields' errors; user_create checks again
            raise serializers.ValidationError(EmailTaken.default_detail)
        if not email_domain_allowed(UserManager.normalize_email(value)):
            raise serializers.ValidationError(EmailDomainRefused().detail)
        return UserManager.normalize_email(value)

    def validate(self, attrs):
        fields = {key: value for key, value in attrs.items() if key not in ("password", "invite_code")}
        candidate = User(**fields)
        try:
            password_validation.validate_password(attrs["password"], user=candidate)
        except DjangoValidationError as error:
            raise serializers.ValidationError({"password": list(error.messages)}) from error
        return attrs


class SignupPolicySerializer(serializers.Serializer):
    mode = serializers.ChoiceField(choices=["open", "invite", "closed"], help_text="SIGNUP_MODE.")
    email_domains = serializers.ListField(
        child=serializers.CharField(), help_text="Domains an address must be in; empty: any."
    )
    require_verified_email = serializers.BooleanField(help_text="Whether chatting waits for a confirmed address.")


class UserSerializer(StrictModelSerializer):
    quota = serializers.SerializerMethodField()
    allowance = serializers.SerializerMethodField(help_text="Which allowance applies to you, and why.")
    social_accounts = LinkedSocialAccountSerializer(source="socialaccount_set", many=True, read_only=True)
    has_password = serializers.SerializerMethodField(help_text="Whether email and password log this user in.")

    class Meta:
        model = User
        fields = [
            "id",
            "email",
            "email_verified",
            "nickname",
            "born_year",
            "job",
            "quota",
            "allowance",
            "is_staff",
            "social_accounts",
            "has_password",
        ]
        read_only_fields = ["id", "email", "email_verified", "quota", "allowance", "is_staff"]
        extra_kwargs = {"job": {"allow_null": True}, "born_year": {"allow_null": True}}

    def _allowance(self, user: User):
        """The user's allowance, read once for the quota and the allowance fields (three reads before)."""
        cached = getattr(self, "_allowance_of", None)
        if cached is None or cached[0] != user.pk:
            cached = self._allowance_of = (user.pk, allowance_for(user))
        return cached[1]

    def get_quota(self, user: User) -> QuotaSerializer:
        allowance = self._allowance(user)
        status = quota_status_for(user, allowance=allowance)
        return QuotaSerializer({**asdict(status), "tokens": token_status_for(user, allowance=allowance)}).data

    def get_allowance(self, user: User) -> AllowanceSerializer:
        allowance = self._allowance(user)
        models = sorted(allowance.models) if allowance.models is not None else None
        groups = list(user.allowance_groups.values_list("name", flat=True))
        return AllowanceSerializer({"source": allowance.source, "groups": groups, "models": models}).data

    def get_has_password(self, user: User) -> bool:
        return can_log_in_with_password(user)


class LogoutSerializer(serializers.Serializer):
    refresh = StrictCharField()

    def validate_refresh(self, value: str) -> RefreshToken:
        try:
            token = RefreshToken(value)
        except TokenError as error:
            raise serializers.ValidationError(_("This refresh token is invalid or already revoked.")) from error
        if str(token.get("user_id")) != str(self.context["request"].user.pk):
            raise serializers.ValidationError(_("This refresh token belongs to another session."))
        return token


class RotatingTokenRefreshSerializer(TokenRefreshSerializer):
    """simplejwt's refresh, made atomic: one refresh token rotates once, however many calls race.

    Blacklisting the old token is a conditional insert (its `jti` is unique in the blacklist):
    the one call that inserts it gets the new pair; every other gets 401, as after a logout.
    """

    refresh = StrictCharField()

    def validate(self, attrs):
        # Shape only (simplejwt's own validate would rotate here): RefreshView calls
        # accounts.tokens.token_refresh_rotate. The docstring above is the schema's description.
        return attrs


class ApiKeySerializer(serializers.ModelSerializer):
    class Meta:
        model = ApiKey
        fields = ["id", "name", "prefix", "created_at", "last_used_at"]
        read_only_fields = fields


class ApiKeyCreateSerializer(serializers.Serializer):
    name = StrictCharField(max_length=100)
    current_password = StrictCharField(
        max_length=128,
        required=False,
        style={"input_type": "password"},
        help_text="Your password: a key outlives every session, so making one asks for it. Accounts "
        "without a password (GitHub or Kakao only) instead need a login within the last "
        "`API_KEY_REAUTH_MINUTES` minutes.",
    )


# simplejwt's password login, its pair stamped with the login's time (accounts.tokens). Named as
# simplejwt's, and documented by drf-spectacular's extension for it, so the schema is unchanged.
class TokenObtainPairSerializer(jwt_serializers.TokenObtainPairSerializer):
    @classmethod
    def get_token(cls, user):
        return refresh_for_login(user)


class TokenObtainPairSchema(TokenObtainPairSerializerExtension):
    target_class = "accounts.serializers.TokenObtainPairSerializer"


class NewApiKeySerializer(ApiKeySerializer):
    key = serializers.SerializerMethodField(help_text="The key itself (starts `cbk_`): shown this once.")

    class Meta(ApiKeySerializer.Meta):
        fields = [*ApiKeySerializer.Meta.fields, "key"]
        read_only_fields = fields

    def get_key(self, api_key) -> str:
        return self.context["key"]


def _validated_password(password: str, user: User) -> str:
    try:
        password_validation.validate_password(password, user=user)
    except DjangoValidationError as error:
        raise serializers.ValidationError(list(error.messages)) from error
    return password


class PasswordResetRequestSerializer(serializers.Serializer):
    email = serializers.EmailField(max_length=254)


class PasswordResetConfirmSerializer(serializers.Serializer):
    uid = StrictCharField(max_length=64)
    token = StrictCharField(max_length=128)
    new_password = StrictCharField(max_length=128, style={"input_type": "password"})

    def validate(self, attrs):
        user = password_reset_user(uid=attrs["uid"], token=attrs["token"])
        try:
            _validated_password(attrs["new_password"], user)
        except serializers.ValidationError as error:
            raise serializers.ValidationError({"new_password": error.detail}) from error
        return attrs


class PasswordChangeSerializer(serializers.Serializer):
    current_password = StrictCharField(max_length=128, style={"input_type": "password"})
    new_password = StrictCharField(max_length=128, style={"input_type": "password"})

    def validate_current_password(self, value: str) -> str:
        if not self.context["request"].user.check_password(value):
            raise serializers.ValidationError(_("This is not your current password."))
        return value

    def validate_new_password(self, value: str) -> str:
        return _validated_password(value, self.context["request"].user)


class EmailVerifySerializer(serializers.Serializer):
    key = StrictCharField(max_length=512)
