"""The fake GitHub, under `/github` (point the API at `GITHUB_URL=<base>/github`):

GET  /github/login/oauth/authorize      consent page: who to be (login, name, email, verified)
POST /github/login/oauth/authorize      Authorize -> redirect_uri?code=&state=, Cancel -> ?error=access_denied
POST /github/login/oauth/access_token   code -> gho_ token (form-encoded, or JSON if Accept asks);
                                        errors are HTTP 200 with an `error` field, as GitHub does
GET  /github/api/v3/user                the user (public email null), `Authorization: token|Bearer X`
GET  /github/api/v3/user/emails         [{email, primary, verified, visibility}] or [] (404 without
                                        the user:email or user scope, as GitHub)
GET  /github/avatars/u/<id>             an SVG the user JSON's avatar_url points at (no network)
"""

from __future__ import annotations

import base64
import re
import secrets
import string
from urllib.parse import quote, quote_plus, urlencode

from fakeoauth.core import Grant, Request, send_api_json, stable_id, utc
from fakeoauth.pages import checkbox, text_field
from fakeoauth.provider import Provider, client_credentials, form_text, pkce_ok
from fakeserver.asgi import content_length, send_response

ALNUM = string.ascii_letters + string.digits
DOCS = "https://docs.github.com/apps/managing-oauth-apps/troubleshooting-oauth-app-access-token-request-errors"
TOKEN_ERRORS = {
    "bad_verification_code": ("The code passed is incorrect or expired.", "#bad-verification-code"),
    "incorrect_client_credentials": (
        "The client_id and/or client_secret passed are incorrect.",
        "#incorrect-client-credentials",
    ),
    "redirect_uri_mismatch": (
        "The redirect_uri MUST match the registered callback URL for this application.",
        "#redirect-uri-mismatch2",
    ),
}
DENIED_URI = (
    "https://docs.github.com/apps/managing-oauth-apps/troubleshooting-authorization-request-errors/#access-denied"
)
BAD_CREDENTIALS = {"message": "Bad credentials", "documentation_url": "https://docs.github.com/rest"}


class GitHub(Provider):
    name = "github"
    brand = "GitHub"
    authorize_path = "/github/login/oauth/authorize"
    allow_label = "Authorize"
    denied = {
        "error": "access_denied",
        "error_description": "The user has denied your application access.",
        "error_uri": DENIED_URI,
    }
    quote_via = staticmethod(quote_plus)
    token_schemes = ("token", "bearer")

    def routes(self):
        return {
            **super().routes(),
            "/github/login/oauth/access_token": {"POST": self.token},
            "/github/api/v3/user": {"GET": self.user},
            "/github/api/v3/user/emails": {"GET": self.emails},
        }

    def patterns(self):
        return [(re.compile(r"/github/avatars/u/(\d{1,12})"), self.avatar)]

    def new_code(self) -> str:
        return secrets.token_hex(10)

    def consent_fields(self) -> str:
        return (
            text_field("login", "Login", "octocat", required=True)
            + text_field("name", "Name", "The Octocat")
            + text_field("email", "Email", "octocat@example.com", email=True)
            + checkbox("email_verified", "Email verified")
        )

    def profile_from_form(self, form: dict) -> dict:
        return {
            "login": form_text(form, "login", "Login", required=True),
            "name": form_text(form, "name", "Name", required=False),
            "email": form_text(form, "email", "Email", required=False),
            "verified": bool(form.get("email_verified")),
        }

    async def token(self, request: Request) -> None:
        form = request.form
        grant = self.server.take_code(self.name, form.get("code", ""))
        if grant and await self.simulate(request, grant.simulate, "token", {"message": "Server Error (simulated)"}):
            return
        client_id, client_secret = client_credentials(request)
        wants_json = "application/json" in request.headers.get("accept", "")
        if not client_secret:
            error = "incorrect_client_credentials"
        elif grant is None or grant.client_id != client_id or not pkce_ok(grant, form.get("code_verifier", "")):
            error = "bad_verification_code"
        elif form.get("redirect_uri") != grant.redirect_uri:
            error = "redirect_uri_mismatch"
        else:
            token = self.server.issue_token(grant, "gho_" + "".join(secrets.choice(ALNUM) for _ in range(36)))
            scope = ",".join(scopes_of(grant))
            await send_negotiated(
                request.send, wants_json, {"access_token": token, "token_type": "bearer", "scope": scope}
            )
            return
        description, anchor = TOKEN_ERRORS[error]
        payload = {"error": error, "error_description": description, "error_uri": DOCS + "/" + anchor}
        await send_negotiated(request.send, wants_json, payload)  # HTTP 200, as GitHub answers

    async def user(self, request: Request) -> None:
        grant = self.grant_for(request)
        if grant is None:
            await send_api_json(request.send, 401, BAD_CREDENTIALS)
            return
        if await self.simulate(
            request,
            grant.simulate,
            "profile",
            {"message": "Server Error (simulated)", "documentation_url": "https://docs.github.com/rest"},
        ):
            return
        base_url = f"http://{request.headers.get('host', '127.0.0.1')}"
        await send_api_json(request.send, 200, user_json(grant, base_url), scopes_header(grant))

    async def emails(self, request: Request) -> None:
        grant = self.grant_for(request)
        if grant is None:
            await send_api_json(request.send, 401, BAD_CREDENTIALS)
            return
        if not set(re.split(r"[\s,]+", grant.scope)) & {"user", "user:email"}:  # GitHub hides it without the scope
            not_found = {
                "message": "Not Found",
                "documentation_url": "https://docs.github.com/rest/users/emails#list-email-addresses-for-the-authenticated-user",
                "status": "404",
            }
            await send_api_json(request.send, 404, not_found, scopes_header(grant))
            return
        profile = grant.profile
        emails = []
        if profile["email"]:
            emails.append(
                {"email": profile["email"], "primary": True, "verified": profile["verified"], "visibility": "public"}
            )
        await send_api_json(request.send, 200, emails, scopes_header(grant))

    async def avatar(self, request: Request, match: re.Match) -> None:
        hue = int(match.group(1)) % 360
        body = (
            '<svg xmlns="http://www.w3.org/2000/svg" width="120" height="120" viewBox="0 0 120 120">'
            f'<rect width="120" height="120" fill="hsl({hue},55%,55%)"/>'
            '<circle cx="60" cy="46" r="22" fill="#fff"/><ellipse cx="60" cy="104" rx="38" ry="28" fill="#fff"/></svg>'
        ).encode()
        headers = [
            (b"content-type", b"image/svg+xml"),
            content_length(body),
            (b"content-security-policy", b"default-src 'none'; style-src 'unsafe-inline'"),
            (b"x-content-type-options", b"nosniff"),
            (b"cache-control", b"max-age=86400"),
        ]
        await send_response(request.send, 200, headers, body)


def scopes_of(grant: Grant) -> list[str]:
    return [part for part in re.split(r"[\s,]+", grant.scope) if part]


def scopes_header(grant: Grant) -> list:
    return [(b"x-oauth-scopes", ", ".join(scopes_of(grant)).encode("latin-1", "replace"))]


def user_json(grant: Grant, base_url: str) -> dict:
    profile = grant.profile
    login = profile["login"]
    user_id = stable_id("github", login, 8)
    api = f"{base_url}/github/api/v3/users/{quote(login)}"
    return {
        "login": login,
        "id": user_id,
        "node_id": base64.b64encode(f"04:User{user_id}".encode()).decode(),  # GitHub's legacy global id
        "avatar_url": f"{base_url}/github/avatars/u/{user_id}",
        "gravatar_id": "",
        "url": api,
        "html_url": f"https://github.com/{quote(login)}",
        "followers_url": f"{api}/followers",
        "repos_url": f"{api}/repos",
        "type": "User",
        "user_view_type": "private",
        "site_admin": False,
        "name": profile["name"] or None,
        "company": None,
        "blog": "",
        "location": None,
        "email": None,  # no public email: the address comes from /user/emails
        "hireable": None,
        "bio": None,
        "twitter_username": None,
        "public_repos": 0,
        "public_gists": 0,
        "followers": 0,
        "following": 0,
        "created_at": "2011-01-25T18:44:36Z",
        "updated_at": utc(grant.issued),
    }


async def send_negotiated(send, wants_json: bool, payload: dict) -> None:
    """GitHub's token endpoint: JSON if the Accept header asks for it, else form-encoded (HTTP 200 both)."""
    if wants_json:
        await send_api_json(send, 200, payload)
        return
    body = urlencode(payload).encode()
    headers = [
        (b"content-type", b"application/x-www-form-urlencoded; charset=utf-8"),
        content_length(body),
        (b"cache-control", b"no-store"),
    ]
    await send_response(send, 200, headers, body)
