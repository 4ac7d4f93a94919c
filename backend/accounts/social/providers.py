"""GitHub and Kakao as allauth providers whose hosts come from our settings, read at request time.

allauth's GitHub adapter fixes its URLs when it is imported and Kakao's are constants; these
subclasses read `GITHUB_URL`, `KAKAO_AUTH_URL` and `KAKAO_API_URL` on each use instead, so the
same code talks to github.com, a GitHub Enterprise server, Kakao or the bundled fake provider.
"""

from __future__ import annotations

from allauth.socialaccount.providers.github.provider import GitHubProvider as AllauthGitHubProvider
from allauth.socialaccount.providers.github.views import GitHubOAuth2Adapter
from allauth.socialaccount.providers.kakao.provider import KakaoProvider as AllauthKakaoProvider
from allauth.socialaccount.providers.kakao.views import KakaoOAuth2Adapter
from allauth.socialaccount.providers.oauth2.views import OAuth2CallbackView
from django.conf import settings


class GitHubAdapter(GitHubOAuth2Adapter):
    @property
    def web_url(self) -> str:
        return settings.GITHUB_URL

    @property
    def api_url(self) -> str:
        # GitHub.com's API has a host of its own; GitHub Enterprise serves it under /api/v3.
        return "https://api.github.com" if self.web_url == "https://github.com" else f"{self.web_url}/api/v3"

    @property
    def access_token_url(self) -> str:
        return f"{self.web_url}/login/oauth/access_token"

    @property
    def authorize_url(self) -> str:
        return f"{self.web_url}/login/oauth/authorize"

    @property
    def profile_url(self) -> str:
        return f"{self.api_url}/user"

    @property
    def emails_url(self) -> str:
        return f"{self.api_url}/user/emails"


class KakaoAdapter(KakaoOAuth2Adapter):
    @property
    def access_token_url(self) -> str:
        return f"{settings.KAKAO_AUTH_URL}/oauth/token"

    @property
    def authorize_url(self) -> str:
        return f"{settings.KAKAO_AUTH_URL}/oauth/authorize"

    @property
    def profile_url(self) -> str:
        return f"{settings.KAKAO_API_URL}/v2/user/me"


class GitHubProvider(AllauthGitHubProvider):
    oauth2_adapter_class = GitHubAdapter


class KakaoProvider(AllauthKakaoProvider):
    oauth2_adapter_class = KakaoAdapter

    def extract_email_addresses(self, data):
        # Kakao: an address is the person's only while `is_email_valid` too; false means it has since
        # gone to another Kakao account (allauth reads `is_email_verified` alone).
        addresses = super().extract_email_addresses(data)
        valid = (data.get("kakao_account") or {}).get("is_email_valid") is True
        for address in addresses:
            address.verified = bool(address.verified) and valid
        return addresses


# What `GET /api/v1/auth/social/` lists, in this order, when the provider's client id is set.
PROVIDERS = {
    "github": {"name": "GitHub", "client_id": "GITHUB_CLIENT_ID", "secret": "GITHUB_CLIENT_SECRET"},
    "kakao": {"name": "Kakao", "client_id": "KAKAO_CLIENT_ID", "secret": "KAKAO_CLIENT_SECRET"},
}
CALLBACK_VIEWS = {
    "github": OAuth2CallbackView.adapter_view(GitHubAdapter),
    "kakao": OAuth2CallbackView.adapter_view(KakaoAdapter),
}


def enabled_providers() -> list[str]:
    return [provider for provider, names in PROVIDERS.items() if getattr(settings, names["client_id"])]
