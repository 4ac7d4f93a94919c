from allauth.socialaccount.models import SocialAccount
from django.core.validators import RegexValidator
from rest_framework import serializers

from core.serializer_fields import StrictCharField

# RFC 7636: a verifier is 43 to 128 unreserved characters; an S256 challenge is 43 base64url ones.
code_verifier_format = RegexValidator(r"^[A-Za-z0-9._~-]{43,128}\Z", "Must be 43 to 128 of A-Z a-z 0-9 . _ ~ -.")
code_challenge_format = RegexValidator(r"^[A-Za-z0-9_-]{43}\Z", "Must be an S256 challenge: 43 base64url characters.")
state_format = RegexValidator(r"^[A-Za-z0-9._~-]{8,128}\Z", "Must be 8 to 128 of A-Z a-z 0-9 . _ ~ -.")


class SocialProviderSerializer(serializers.Serializer):
    id = serializers.CharField()
    name = serializers.CharField()


class SocialStartQuerySerializer(serializers.Serializer):
    state = StrictCharField(validators=[state_format], help_text="The SPA's own state, sent back in the fragment.")
    code_challenge = StrictCharField(
        validators=[code_challenge_format], help_text="S256 of the SPA's PKCE verifier, which `exchange/` will ask for."
    )
    link = StrictCharField(
        required=False, max_length=100, help_text="The ticket of a `start_url` from `link/` (set by that URL)."
    )
    invite = StrictCharField(
        required=False,
        max_length=64,
        help_text="An invite code, used if this login makes a new account while sign-up is by invitation.",
    )


class SocialExchangeSerializer(serializers.Serializer):
    code = StrictCharField(max_length=100)
    code_verifier = StrictCharField(validators=[code_verifier_format])


class SocialTokenPairSerializer(serializers.Serializer):
    access = serializers.CharField()
    refresh = serializers.CharField()


class SocialLinkRequestSerializer(serializers.Serializer):
    current_password = StrictCharField(
        max_length=128,
        required=False,
        style={"input_type": "password"},
        help_text="Your password: a link adds a way into the account. Accounts without a password "
        "instead need a login within the last `API_KEY_REAUTH_MINUTES` minutes.",
    )


class SocialLinkStartSerializer(serializers.Serializer):
    start_url = serializers.URLField(
        help_text="Open it with `&state=S&code_challenge=C` appended; single use, valid 60 seconds."
    )


class LinkedSocialAccountSerializer(serializers.ModelSerializer):
    created_at = serializers.DateTimeField(source="date_joined")

    class Meta:
        model = SocialAccount
        fields = ["provider", "created_at"]
