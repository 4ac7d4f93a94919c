"""The fake Kakao, under `/kakao` (point the API at `KAKAO_AUTH_URL=KAKAO_API_URL=<base>/kakao`):

GET  /kakao/oauth/authorize             consent page: nickname, email, verified, share email
POST /kakao/oauth/authorize             Agree -> redirect_uri?code=&state=, Cancel -> ?error=access_denied
POST /kakao/oauth/token                 code -> bearer + refresh token; errors HTTP 400 with error_code
GET  /kakao/v2/user/me                  Kakao's user shape; the email only if shared
"""

from __future__ import annotations

import secrets

from fakeoauth.core import Grant, Request, send_api_json, stable_id, utc
from fakeoauth.pages import checkbox, text_field
from fakeoauth.provider import Provider, client_credentials, form_text, pkce_ok

TOKEN_TTL = 21599
BAD_TOKEN = {"msg": "this access token does not exist", "code": -401}


class Kakao(Provider):
    name = "kakao"
    brand = "Kakao"
    authorize_path = "/kakao/oauth/authorize"
    allow_label = "Agree"
    denied = {"error": "access_denied", "error_description": "User denied access"}
    response_type_required = True
    token_ttl = TOKEN_TTL

    def routes(self):
        return {
            **super().routes(),
            "/kakao/oauth/token": {"POST": self.token},
            "/kakao/v2/user/me": {"GET": self.me, "POST": self.me},
        }

    def new_code(self) -> str:
        return secrets.token_urlsafe(64)

    def consent_fields(self) -> str:
        return (
            text_field("nickname", "Nickname", "라이언", required=True)
            + text_field("email", "Email", "ryan@kakao.example", email=True)
            + checkbox("email_verified", "Email verified")
            + checkbox("share_email", "Share email")
        )

    def profile_from_form(self, form: dict) -> dict:
        return {
            "nickname": form_text(form, "nickname", "Nickname", required=True),
            "email": form_text(form, "email", "Email", required=False),
            "verified": bool(form.get("email_verified")),
            "share_email": bool(form.get("share_email")),
        }

    async def token(self, request: Request) -> None:
        form = request.form
        code = form.get("code", "")
        grant = self.server.take_code(self.name, code)
        if grant and await self.simulate(
            request, grant.simulate, "token", {"msg": "internal server error (simulated)", "code": -1}
        ):
            return
        client_id, _ = client_credentials(request)
        if form.get("grant_type") != "authorization_code":
            error = {
                "error": "unsupported_grant_type",
                "error_description": f"unsupported grant_type={form.get('grant_type', '')}",
            }
            await send_api_json(request.send, 400, error)
            return
        if grant is None or grant.client_id != client_id or not pkce_ok(grant, form.get("code_verifier", "")):
            error = {
                "error": "invalid_grant",
                "error_description": f"authorization code not found for code={code}",
                "error_code": "KOE320",
            }
            await send_api_json(request.send, 400, error)
            return
        if form.get("redirect_uri") != grant.redirect_uri:
            error = {"error": "invalid_grant", "error_description": "Redirect URI mismatch.", "error_code": "KOE303"}
            await send_api_json(request.send, 400, error)
            return
        token = self.server.issue_token(grant, secrets.token_urlsafe(40))
        scopes = ["profile_nickname"] + (["account_email"] if grant.profile["share_email"] else [])
        answer = {
            "token_type": "bearer",
            "access_token": token,
            "expires_in": TOKEN_TTL,
            "refresh_token": secrets.token_urlsafe(40),
            "refresh_token_expires_in": 5183999,
            "scope": " ".join(sorted(scopes)),
        }
        await send_api_json(request.send, 200, answer)

    async def me(self, request: Request) -> None:
        grant = self.grant_for(request)
        if grant is None:
            await send_api_json(request.send, 401, BAD_TOKEN, [(b"www-authenticate", b'Bearer realm="oauth"')])
            return
        if await self.simulate(request, grant.simulate, "profile", {"msg": "internal server error", "code": -1}):
            return
        await send_api_json(request.send, 200, user_json(grant))


def user_json(grant: Grant) -> dict:
    profile = grant.profile
    nickname, email = profile["nickname"], profile["email"]
    account: dict = {
        "profile_nickname_needs_agreement": False,
        "profile": {"nickname": nickname, "is_default_nickname": False},
        "has_email": bool(email),
    }
    if email:
        account["email_needs_agreement"] = not profile["share_email"]
        if profile["share_email"]:
            account.update({"is_email_valid": True, "is_email_verified": profile["verified"], "email": email})
    return {
        "id": stable_id("kakao", email or nickname, 10),
        "connected_at": utc(grant.issued),
        "properties": {"nickname": nickname},
        "kakao_account": account,
    }
