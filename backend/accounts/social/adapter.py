"""Our hooks into allauth's provider flow: apps from settings, and every ending sent to the SPA.

allauth runs the provider side (its `state`, PKCE, the token exchange and the profile calls). It
never logs anyone in here: `pre_social_login` takes over once the profile is known and answers the
redirect to `SOCIAL_LOGIN_REDIRECT_URL` itself, so no Django session login, signup form or
template of allauth's is ever reached. Failures end the same way, with `#error=`.
"""

from __future__ import annotations

import logging
from urllib.parse import urlencode, urlsplit, urlunsplit

from allauth.core.exceptions import ImmediateHttpResponse
from allauth.socialaccount.adapter import DefaultSocialAccountAdapter
from allauth.socialaccount.models import SocialApp
from allauth.socialaccount.providers.base.constants import AuthError
from django.conf import settings
from django.http import HttpResponseRedirect

from accounts.exceptions import SocialLoginRefused
from accounts.social.providers import PROVIDERS, enabled_providers
from accounts.social.services import ProviderIdentity, social_login_resolve

logger = logging.getLogger(__name__)


def spa_redirect(**fragment: str) -> HttpResponseRedirect:
    """A redirect to the SPA's fixed page with `fragment` after `#` (never a query: fragments stay in the browser)."""
    scheme, netloc, path, query, _ = urlsplit(settings.SOCIAL_LOGIN_REDIRECT_URL)
    values = {name: value for name, value in fragment.items() if value}
    response = HttpResponseRedirect(urlunsplit((scheme, netloc, path, query, urlencode(values))))
    response["Cache-Control"] = "no-store"
    response["Referrer-Policy"] = "no-referrer"
    return response


def spa_state_of(state: dict | None) -> str:
    return ((state or {}).get("data") or {}).get("spa_state", "")


def identity_of(sociallogin) -> ProviderIdentity:
    verified = sorted(
        (address for address in sociallogin.email_addresses if address.verified and address.email),
        key=lambda address: not address.primary,
    )
    data = sociallogin.account.extra_data or {}
    nickname = (
        data.get("name")
        or data.get("login")
        or ((data.get("kakao_account") or {}).get("profile") or {}).get("nickname")
        or ""
    )
    uid = sociallogin.account.uid
    if uid in (None, "", "None"):  # a profile without an id must not become one shared account
        raise SocialLoginRefused("failed")
    return ProviderIdentity(
        provider=sociallogin.account.provider,
        uid=str(uid),
        extra_data=data,
        verified_emails=tuple(address.email for address in verified),
        nickname=str(nickname).replace("\x00", ""),
    )


class SocialLoginAdapter(DefaultSocialAccountAdapter):
    def list_apps(self, request, provider=None, client_id=None) -> list[SocialApp]:
        # From settings only (GITHUB_CLIENT_ID...), read now; there are no SocialApp rows to query.
        apps = []
        for provider_id in enabled_providers():
            names = PROVIDERS[provider_id]
            app = SocialApp(
                provider=provider_id,
                name=names["name"],
                client_id=getattr(settings, names["client_id"]),
                secret=getattr(settings, names["secret"]),
            )
            if provider in (None, provider_id) and client_id in (None, app.client_id):
                apps.append(app)
        return apps

    def pre_social_login(self, request, sociallogin) -> None:
        state = sociallogin.state or {}
        data = state.get("data") or {}
        try:
            code = social_login_resolve(
                identity=identity_of(sociallogin),
                code_challenge=data["code_challenge"],
                link_user_id=data.get("link_user_id"),
                invite_hash=data.get("invite_hash"),
            )
        except SocialLoginRefused as refused:
            logger.info("social login refused provider=%s reason=%s", sociallogin.account.provider, refused.reason)
            raise ImmediateHttpResponse(spa_redirect(error=refused.reason, state=spa_state_of(state))) from None
        raise ImmediateHttpResponse(spa_redirect(code=code, state=data["spa_state"]))

    def on_authentication_error(self, request, provider, error=None, exception=None, extra_context=None) -> None:
        extra_context = extra_context or {}
        reason = "access_denied" if error == AuthError.CANCELLED else "failed"
        if reason == "failed":
            # The provider's answer may hold secrets; its kind and the allauth error code are enough.
            logger.warning(
                "social login failed provider=%s error=%s exception=%s",
                getattr(provider, "id", provider),
                error,
                type(exception).__name__ if exception else None,
            )
        # A forged or replayed `state` has no stored state: there is no SPA state to send back either.
        raise ImmediateHttpResponse(spa_redirect(error=reason, state=spa_state_of(extra_context.get("state"))))
