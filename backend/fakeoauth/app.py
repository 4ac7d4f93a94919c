"""A fake of GitHub's and Kakao's OAuth2 providers: their wire protocol, a consent page you fill in.

Used by `make run` for local sign-in without real apps, by the tests and by the browser tests.
One server answers for both, under two prefixes (point the API at `GITHUB_URL=<base>/github` and
`KAKAO_AUTH_URL=KAKAO_API_URL=<base>/kakao`):

    GET  /github/login/oauth/authorize      consent page: who to be (login, name, email, verified)
    POST /github/login/oauth/authorize      Authorize -> redirect_uri?code=&state=, Cancel -> ?error=access_denied
    POST /github/login/oauth/access_token   code -> gho_ token (form-encoded, or JSON if Accept asks);
                                            errors are HTTP 200 with an `error` field, as GitHub does
    GET  /github/api/v3/user                the user (public email null), `Authorization: token|Bearer X`
    GET  /github/api/v3/user/emails         [{email, primary, verified, visibility}] or [] (404 without
                                            the user:email or user scope, as GitHub)
    GET  /github/avatars/u/<id>             an SVG the user JSON's avatar_url points at (no network)
    GET  /kakao/oauth/authorize             consent page: nickname, email, verified, share email
    POST /kakao/oauth/authorize             Agree -> redirect_uri?code=&state=, Cancel -> ?error=access_denied
    POST /kakao/oauth/token                 code -> bearer + refresh token; errors HTTP 400 with error_code
    GET  /kakao/v2/user/me                  Kakao's user shape; the email only if shared

Every consent page has a `Simulate` select whose choice rides on the grant:

    none             the normal flow
    token_error      the token endpoint answers HTTP 500
    token_timeout    the token endpoint sleeps 60 s first (until the client goes away)
    profile_error    the user endpoint answers HTTP 500
    profile_timeout  the user endpoint sleeps 60 s first (until the client goes away)

Codes live 10 minutes and are consumed by their first use, even a failed one. Client ids and
secrets are not checked against any registry (any client_id works, a secret must only be present
for GitHub), but a code only works for the client_id, redirect_uri and PKCE verifier
(S256 only) of its authorization request. User ids are derived from the login (GitHub) or the
email, else the nickname (Kakao), so they are stable across restarts and processes.

`GET /_fake/requests` lists the requests received (newest last); `DELETE` clears the list. The
state is in memory, in one process.
"""

from __future__ import annotations

import base64
import hashlib
import html
import re
import secrets
import string
import time
from collections import deque
from dataclasses import dataclass, field
from urllib.parse import parse_qsl, quote, quote_plus, urlencode, urlsplit, urlunsplit

from fakeserver.asgi import (
    content_length,
    read_body,
    request_headers,
    send_json,
    send_response,
    serve_lifespan,
    sleep_or_disconnect,
)

SIMULATE_MODES = ("none", "token_error", "token_timeout", "profile_error", "profile_timeout")
SIMULATE_LABELS = {
    "none": "none: the normal flow",
    "token_error": "token_error: token endpoint answers 500",
    "token_timeout": "token_timeout: token endpoint sleeps 60 s",
    "profile_error": "profile_error: user endpoint answers 500",
    "profile_timeout": "profile_timeout: user endpoint sleeps 60 s",
}
MAX_BODY = 64 * 1024
MAX_FIELD = 200
MAX_TOKENS = 10_000
CHALLENGE = re.compile(r"[A-Za-z0-9_-]{43}")
ALNUM = string.ascii_letters + string.digits

HTML_HEADERS = [
    (b"content-type", b"text/html; charset=utf-8"),
    # The form posts to this page, which redirects to the client: form-action must allow both.
    (
        b"content-security-policy",
        b"default-src 'none'; style-src 'unsafe-inline'; form-action *; frame-ancestors 'none'; base-uri 'none'",
    ),
    (b"x-frame-options", b"DENY"),
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"no-referrer"),
    (b"cache-control", b"no-store"),
]

GITHUB_DOCS = "https://docs.github.com/apps/managing-oauth-apps/troubleshooting-oauth-app-access-token-request-errors"
GITHUB_ERRORS = {
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
GITHUB_DENIED_URI = (
    "https://docs.github.com/apps/managing-oauth-apps/troubleshooting-authorization-request-errors/#access-denied"
)
GITHUB_BAD_CREDENTIALS = {"message": "Bad credentials", "documentation_url": "https://docs.github.com/rest"}
KAKAO_BAD_TOKEN = {"msg": "this access token does not exist", "code": -401}
KAKAO_TOKEN_TTL = 21599


@dataclass
class FakeSettings:
    code_ttl: float = 600.0
    stall: float = 60.0  # the *_timeout modes' sleep
    log_size: int = 500


@dataclass
class Grant:
    provider: str  # "github" | "kakao"
    client_id: str
    redirect_uri: str
    scope: str
    code_challenge: str
    profile: dict
    simulate: str
    issued: float = field(default_factory=time.time)


@dataclass
class RequestRecord:
    method: str
    path: str
    query: dict
    form: dict
    authorization: bool
    accept: str
    status: int | None = None  # None: no answer (yet)
    disconnected: bool = False  # the client went away while a *_timeout mode stalled

    def as_json(self) -> dict:
        return {
            "method": self.method,
            "path": self.path,
            "query": self.query,
            "form": self.form,
            "authorization": self.authorization,
            "accept": self.accept,
            "status": self.status,
            "disconnected": self.disconnected,
        }


class BadRequest(Exception):
    """An authorization request the fake refuses with an error page (no redirect: it may be forged)."""


def stable_id(provider: str, key: str, digits: int) -> int:
    """An integer id with `digits` digits, the same for the same key in every process."""
    number = int.from_bytes(hashlib.sha256(f"{provider}:{key}".encode()).digest()[:8], "big")
    low = 10 ** (digits - 1)
    return low + number % (9 * low)


def s256(verifier: str) -> str:
    return base64.urlsafe_b64encode(hashlib.sha256(verifier.encode("ascii")).digest()).rstrip(b"=").decode()


def with_query(uri: str, params: dict, *, quote_via=quote_plus) -> str:
    """`uri` with `params` added to the query string it may already have."""
    parts = urlsplit(uri)
    extra = urlencode(params, quote_via=quote_via)
    return urlunsplit(parts._replace(query=f"{parts.query}&{extra}" if parts.query else extra))


def _utc(timestamp: float) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(timestamp))


class FakeOAuth:
    def __init__(self, settings: FakeSettings | None = None):
        self.settings = settings or FakeSettings()
        self.requests: deque[RequestRecord] = deque(maxlen=self.settings.log_size)
        self.codes: dict[str, Grant] = {}
        self.tokens: dict[str, Grant] = {}

    async def __call__(self, scope, receive, send):
        if scope["type"] == "lifespan":
            await serve_lifespan(receive, send)
            return
        if scope["type"] != "http":
            return
        method, path = scope["method"], scope["path"].rstrip("/") or "/"
        if path == "/_fake/requests" and method == "GET":
            await _json(send, 200, [record.as_json() for record in self.requests])
            return
        if path == "/_fake/requests" and method == "DELETE":
            self.requests.clear()
            await _json(send, 200, {"cleared": True})
            return
        if path in ("/", "/health") and method == "GET":
            await _json(send, 200, {"status": "ok"})
            return

        headers = request_headers(scope)
        body = await read_body(receive, MAX_BODY)
        if body is None:
            await _json(send, 413, {"message": "Request body too large"})
            return
        form = {}
        if headers.get("content-type", "").split(";")[0].strip() == "application/x-www-form-urlencoded":
            form = dict(parse_qsl(body.decode("utf-8", "replace"), keep_blank_values=True))
        query = dict(parse_qsl(scope.get("query_string", b"").decode("latin-1"), keep_blank_values=True))
        record = RequestRecord(
            method=method,
            path=path,
            query=query,
            form=form,
            authorization=bool(headers.get("authorization")),
            accept=headers.get("accept", ""),
        )
        self.requests.append(record)

        async def send_recorded(message):
            if message["type"] == "http.response.start":
                record.status = message["status"]
            await send(message)

        request = Request(method, path, query, form, headers, receive, send_recorded, record)
        await self.route(request)

    async def route(self, request: Request) -> None:
        routes = {
            "/github/login/oauth/authorize": {"GET": self.github_authorize, "POST": self.github_decide},
            "/github/login/oauth/access_token": {"POST": self.github_token},
            "/github/api/v3/user": {"GET": self.github_user},
            "/github/api/v3/user/emails": {"GET": self.github_emails},
            "/kakao/oauth/authorize": {"GET": self.kakao_authorize, "POST": self.kakao_decide},
            "/kakao/oauth/token": {"POST": self.kakao_token},
            "/kakao/v2/user/me": {"GET": self.kakao_me, "POST": self.kakao_me},
        }
        handlers = routes.get(request.path)
        if handlers is None:
            avatar = re.fullmatch(r"/github/avatars/u/(\d{1,12})", request.path)
            if avatar and request.method == "GET":
                await _avatar(request.send, int(avatar.group(1)))
                return
            await _json(request.send, 404, {"message": "Not Found", "path": request.path})
            return
        handler = handlers.get(request.method)
        if handler is None:
            allow = ", ".join(handlers).encode()
            await _json(request.send, 405, {"message": "Method Not Allowed"}, [(b"allow", allow)])
            return
        await handler(request)

    # --- grants and tokens ------------------------------------------------------------------------

    def issue_code(self, grant: Grant) -> str:
        now = time.time()
        for code in [code for code, old in self.codes.items() if now - old.issued > self.settings.code_ttl]:
            del self.codes[code]
        code = secrets.token_hex(10) if grant.provider == "github" else secrets.token_urlsafe(64)
        self.codes[code] = grant
        return code

    def take_code(self, provider: str, code: str) -> Grant | None:
        """The grant of `code`, which is used up by this call; None if unknown, used or expired."""
        grant = self.codes.pop(code, None) if code else None
        if grant is None or grant.provider != provider or time.time() - grant.issued > self.settings.code_ttl:
            return None
        return grant

    def issue_token(self, grant: Grant, token: str) -> str:
        while len(self.tokens) >= MAX_TOKENS:
            del self.tokens[next(iter(self.tokens))]
        self.tokens[token] = grant
        return token

    def grant_for(self, request: Request, provider: str) -> Grant | None:
        scheme, _, token = request.headers.get("authorization", "").partition(" ")
        schemes = ("token", "bearer") if provider == "github" else ("bearer",)
        if scheme.lower() not in schemes or not token.strip():
            return None
        grant = self.tokens.get(token.strip())
        if grant is None or grant.provider != provider:
            return None
        if provider == "kakao" and time.time() - grant.issued > KAKAO_TOKEN_TTL:
            return None
        return grant

    @staticmethod
    def pkce_ok(grant: Grant, verifier: str) -> bool:
        if not grant.code_challenge:
            return True
        if not verifier or not verifier.isascii():
            return False
        return secrets.compare_digest(s256(verifier), grant.code_challenge)

    async def simulate(self, request: Request, mode: str, stage: str, error_body: dict) -> bool:
        """Play out the grant's failure mode for `stage` ("token" or "profile"); True if it answered."""
        if mode == f"{stage}_error":
            await _json(request.send, 500, error_body)
            return True
        if mode == f"{stage}_timeout" and await sleep_or_disconnect(request.receive, self.settings.stall):
            request.record.disconnected = True  # the client gave up: nobody to answer
            return True
        return False

    # --- consent pages ----------------------------------------------------------------------------

    async def github_authorize(self, request: Request) -> None:
        try:
            params = authorization_params(request.query, provider="github")
        except BadRequest as error:
            await _error_page(request.send, "GitHub", str(error))
            return
        await _html(request.send, 200, consent_page("github", request.path, params))

    async def kakao_authorize(self, request: Request) -> None:
        try:
            params = authorization_params(request.query, provider="kakao")
        except BadRequest as error:
            await _error_page(request.send, "Kakao", str(error))
            return
        await _html(request.send, 200, consent_page("kakao", request.path, params))

    async def github_decide(self, request: Request) -> None:
        await self.decide(request, "github")

    async def kakao_decide(self, request: Request) -> None:
        await self.decide(request, "kakao")

    async def decide(self, request: Request, provider: str) -> None:
        brand = "GitHub" if provider == "github" else "Kakao"
        form = request.form
        try:
            params = authorization_params(form, provider=provider)
            decision = form.get("decision")
            if decision not in ("allow", "deny"):
                raise BadRequest("decision must be allow or deny")
            simulate = form.get("simulate") or "none"
            if simulate not in SIMULATE_MODES:
                raise BadRequest(f"simulate must be one of {', '.join(SIMULATE_MODES)}")
            profile = profile_from_form(form, provider) if decision == "allow" else {}
        except BadRequest as error:
            await _error_page(request.send, brand, str(error))
            return
        state = {"state": params["state"]} if params["state"] else {}
        if decision == "deny":
            if provider == "github":
                denied = {
                    "error": "access_denied",
                    "error_description": "The user has denied your application access.",
                    "error_uri": GITHUB_DENIED_URI,
                }
                location = with_query(params["redirect_uri"], {**denied, **state})
            else:
                denied = {"error": "access_denied", "error_description": "User denied access"}
                location = with_query(params["redirect_uri"], {**denied, **state}, quote_via=quote)
            await _redirect(request.send, location)
            return
        grant = Grant(
            provider=provider,
            client_id=params["client_id"],
            redirect_uri=params["redirect_uri"],
            scope=params["scope"],
            code_challenge=params["code_challenge"],
            profile=profile,
            simulate=simulate,
        )
        code = self.issue_code(grant)
        quote_via = quote_plus if provider == "github" else quote
        await _redirect(request.send, with_query(params["redirect_uri"], {"code": code, **state}, quote_via=quote_via))

    # --- GitHub -----------------------------------------------------------------------------------

    async def github_token(self, request: Request) -> None:
        form = request.form
        grant = self.take_code("github", form.get("code", ""))
        if grant and await self.simulate(
            request,
            grant.simulate,
            "token",
            {"message": "Server Error (simulated)"},
        ):
            return
        client_id, client_secret = _client_credentials(request)
        wants_json = "application/json" in request.headers.get("accept", "")
        if not client_secret:
            error = "incorrect_client_credentials"
        elif grant is None or grant.client_id != client_id or not self.pkce_ok(grant, form.get("code_verifier", "")):
            error = "bad_verification_code"
        elif form.get("redirect_uri") != grant.redirect_uri:
            error = "redirect_uri_mismatch"
        else:
            token = self.issue_token(grant, "gho_" + "".join(secrets.choice(ALNUM) for _ in range(36)))
            scope = ",".join(part for part in re.split(r"[\s,]+", grant.scope) if part)
            await _negotiated(request.send, wants_json, {"access_token": token, "token_type": "bearer", "scope": scope})
            return
        description, anchor = GITHUB_ERRORS[error]
        payload = {"error": error, "error_description": description, "error_uri": GITHUB_DOCS + "/" + anchor}
        await _negotiated(request.send, wants_json, payload)  # HTTP 200, as GitHub answers

    async def github_user(self, request: Request) -> None:
        grant = self.grant_for(request, "github")
        if grant is None:
            await _json(request.send, 401, GITHUB_BAD_CREDENTIALS)
            return
        if await self.simulate(
            request,
            grant.simulate,
            "profile",
            {"message": "Server Error (simulated)", "documentation_url": "https://docs.github.com/rest"},
        ):
            return
        await _json(request.send, 200, github_user(grant, _base_url(request)), _scopes_header(grant))

    async def github_emails(self, request: Request) -> None:
        grant = self.grant_for(request, "github")
        if grant is None:
            await _json(request.send, 401, GITHUB_BAD_CREDENTIALS)
            return
        scopes = set(re.split(r"[\s,]+", grant.scope))
        if not scopes & {"user", "user:email"}:  # GitHub hides the endpoint from tokens without the scope
            not_found = {
                "message": "Not Found",
                "documentation_url": "https://docs.github.com/rest/users/emails#list-email-addresses-for-the-authenticated-user",
                "status": "404",
            }
            await _json(request.send, 404, not_found, _scopes_header(grant))
            return
        profile = grant.profile
        emails = []
        if profile["email"]:
            emails.append(
                {"email": profile["email"], "primary": True, "verified": profile["verified"], "visibility": "public"}
            )
        await _json(request.send, 200, emails, _scopes_header(grant))

    # --- Kakao ------------------------------------------------------------------------------------

    async def kakao_token(self, request: Request) -> None:
        form = request.form
        code = form.get("code", "")
        grant = self.take_code("kakao", code)
        if grant and await self.simulate(
            request,
            grant.simulate,
            "token",
            {"msg": "internal server error (simulated)", "code": -1},
        ):
            return
        client_id, _ = _client_credentials(request)
        if form.get("grant_type") != "authorization_code":
            await _json(
                request.send,
                400,
                {
                    "error": "unsupported_grant_type",
                    "error_description": f"unsupported grant_type={form.get('grant_type', '')}",
                },
            )
            return
        if grant is None or grant.client_id != client_id or not self.pkce_ok(grant, form.get("code_verifier", "")):
            error = {
                "error": "invalid_grant",
                "error_description": f"authorization code not found for code={code}",
                "error_code": "KOE320",
            }
            await _json(request.send, 400, error)
            return
        if form.get("redirect_uri") != grant.redirect_uri:
            error = {"error": "invalid_grant", "error_description": "Redirect URI mismatch.", "error_code": "KOE303"}
            await _json(request.send, 400, error)
            return
        token = self.issue_token(grant, secrets.token_urlsafe(40))
        scopes = ["profile_nickname"] + (["account_email"] if grant.profile["share_email"] else [])
        await _json(
            request.send,
            200,
            {
                "token_type": "bearer",
                "access_token": token,
                "expires_in": KAKAO_TOKEN_TTL,
                "refresh_token": secrets.token_urlsafe(40),
                "refresh_token_expires_in": 5183999,
                "scope": " ".join(sorted(scopes)),
            },
        )

    async def kakao_me(self, request: Request) -> None:
        grant = self.grant_for(request, "kakao")
        if grant is None:
            await _json(request.send, 401, KAKAO_BAD_TOKEN, [(b"www-authenticate", b'Bearer realm="oauth"')])
            return
        if await self.simulate(request, grant.simulate, "profile", {"msg": "internal server error", "code": -1}):
            return
        await _json(request.send, 200, kakao_user(grant))


@dataclass
class Request:
    method: str
    path: str
    query: dict
    form: dict
    headers: dict
    receive: object
    send: object
    record: RequestRecord


def authorization_params(source: dict, *, provider: str) -> dict:
    """The authorization request's parameters, checked as far as the fake can check them."""
    params = {
        name: (source.get(name) or "").strip()
        for name in ("client_id", "redirect_uri", "scope", "state", "code_challenge", "code_challenge_method")
    }
    if not params["client_id"]:
        raise BadRequest("client_id is required")
    if not params["redirect_uri"]:
        raise BadRequest("redirect_uri is required")
    uri = urlsplit(params["redirect_uri"])
    if (
        uri.scheme not in ("http", "https")
        or not uri.netloc
        or uri.fragment
        or not params["redirect_uri"].isascii()
        or any(c.isspace() or ord(c) < 32 for c in params["redirect_uri"])
    ):
        raise BadRequest("redirect_uri must be an absolute http(s) URL without a fragment")
    if provider == "kakao" and (source.get("response_type") or "") != "code":
        raise BadRequest("response_type must be code")
    if params["code_challenge_method"] and params["code_challenge_method"] != "S256":
        raise BadRequest("code_challenge_method must be S256")
    if params["code_challenge"] and not params["code_challenge_method"]:
        raise BadRequest("code_challenge_method must be S256")
    if params["code_challenge_method"] and not CHALLENGE.fullmatch(params["code_challenge"]):
        raise BadRequest("code_challenge must be a base64url SHA-256 digest (43 characters)")
    if provider == "kakao":
        params["response_type"] = "code"
    return params


def profile_from_form(form: dict, provider: str) -> dict:
    def text(name: str, label: str, *, required: bool) -> str:
        value = (form.get(name) or "").strip()
        if required and not value:
            raise BadRequest(f"{label} is required")
        if len(value) > MAX_FIELD:
            raise BadRequest(f"{label} is too long")
        return value

    verified = bool(form.get("email_verified"))
    if provider == "github":
        return {
            "login": text("login", "Login", required=True),
            "name": text("name", "Name", required=False),
            "email": text("email", "Email", required=False),
            "verified": verified,
        }
    return {
        "nickname": text("nickname", "Nickname", required=True),
        "email": text("email", "Email", required=False),
        "verified": verified,
        "share_email": bool(form.get("share_email")),
    }


def github_user(grant: Grant, base_url: str) -> dict:
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
        "updated_at": _utc(grant.issued),
    }


def kakao_user(grant: Grant) -> dict:
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
        "connected_at": _utc(grant.issued),
        "properties": {"nickname": nickname},
        "kakao_account": account,
    }


def consent_page(provider: str, action: str, params: dict) -> str:
    esc = html.escape
    hidden = "\n".join(
        f'<input type="hidden" name="{esc(name)}" value="{esc(value)}">' for name, value in params.items() if value
    )
    options = "\n".join(
        f'<option value="{mode}"{" selected" if mode == "none" else ""}>{esc(SIMULATE_LABELS[mode])}</option>'
        for mode in SIMULATE_MODES
    )
    if provider == "github":
        brand, allow = "GitHub", "Authorize"
        fields = (
            _text_field("login", "Login", "octocat", required=True)
            + _text_field("name", "Name", "The Octocat")
            + _text_field("email", "Email", "octocat@example.com", email=True)
            + _checkbox("email_verified", "Email verified")
        )
    else:
        brand, allow = "Kakao", "Agree"
        fields = (
            _text_field("nickname", "Nickname", "라이언", required=True)
            + _text_field("email", "Email", "ryan@kakao.example", email=True)
            + _checkbox("email_verified", "Email verified")
            + _checkbox("share_email", "Share email")
        )
    scope = f"<dt>Scope</dt><dd><code>{esc(params['scope'])}</code></dd>" if params["scope"] else ""
    return f"""<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Sign in with {brand} (fake)</title>
<style>{PAGE_STYLE}</style>
</head>
<body>
<p class="banner" role="note">This is a fake {brand} for local development. Nothing here reaches the real {brand}.</p>
<main>
<h1>Sign in with {brand}</h1>
<dl>
<dt>Client</dt><dd><code>{esc(params["client_id"])}</code></dd>
<dt>Returns to</dt><dd><code>{esc(params["redirect_uri"])}</code></dd>
{scope}
</dl>
<form method="post" action="{esc(action)}">
{hidden}
{fields}
<p><label for="simulate">Simulate</label>
<select id="simulate" name="simulate">
{options}
</select></p>
<p class="buttons">
<button type="submit" name="decision" value="allow">{allow}</button>
<button type="submit" name="decision" value="deny" formnovalidate>Cancel</button>
</p>
</form>
</main>
</body>
</html>
"""


def _text_field(name: str, label: str, default: str, *, email: bool = False, required: bool = False) -> str:
    # An email field is still type=text: the browser must let a test submit a malformed address.
    extra = (' inputmode="email"' if email else "") + (" required" if required else "")
    return (
        f'<p><label for="{name}">{label}</label>\n'
        f'<input type="text" id="{name}" name="{name}" value="{html.escape(default)}"'
        f' maxlength="{MAX_FIELD}" autocomplete="off"{extra}></p>\n'
    )


def _checkbox(name: str, label: str) -> str:
    return (
        f'<p><input type="checkbox" id="{name}" name="{name}" value="1" checked>\n'
        f'<label for="{name}">{label}</label></p>\n'
    )


PAGE_STYLE = """
body { font-family: system-ui, sans-serif; margin: 0; background: #f6f8fa; color: #1f2328; }
.banner { margin: 0; padding: .6rem 1rem; background: #fff8c5; border-bottom: 1px solid #d4a72c;
  font-weight: 600; text-align: center; }
main { max-width: 28rem; margin: 2rem auto; padding: 1.5rem; background: #fff; border: 1px solid #d0d7de;
  border-radius: 6px; }
h1 { font-size: 1.3rem; margin-top: 0; }
dl { display: grid; grid-template-columns: auto 1fr; gap: .25rem .75rem; font-size: .85rem; }
dd { margin: 0; overflow-wrap: anywhere; }
label { font-weight: 600; }
input[type=text], select { display: block; width: 100%; box-sizing: border-box;
  padding: .4rem; margin-top: .25rem; }
.buttons { display: flex; gap: .75rem; }
button { padding: .5rem 1rem; font-size: 1rem; }
"""


def _client_credentials(request: Request) -> tuple[str, str]:
    """client_id and client_secret, from the form or from HTTP Basic authentication."""
    scheme, _, value = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() == "basic":
        try:
            client_id, _, secret = base64.b64decode(value.strip()).decode().partition(":")
        except ValueError:
            return "", ""
        return client_id, secret
    return request.form.get("client_id", ""), request.form.get("client_secret", "")


def _base_url(request: Request) -> str:
    return f"http://{request.headers.get('host', '127.0.0.1')}"


def _scopes_header(grant: Grant) -> list:
    scopes = ", ".join(part for part in re.split(r"[\s,]+", grant.scope) if part)
    return [(b"x-oauth-scopes", scopes.encode("latin-1", "replace"))]


async def _json(send, status: int, payload, extra_headers=()):
    headers = [(b"cache-control", b"no-store"), *extra_headers]
    await send_json(send, status, payload, headers, content_type=b"application/json; charset=utf-8", ensure_ascii=False)


async def _negotiated(send, wants_json: bool, payload: dict) -> None:
    """GitHub's token endpoint: JSON if the Accept header asks for it, else form-encoded (HTTP 200 both)."""
    if wants_json:
        await _json(send, 200, payload)
        return
    body = urlencode(payload).encode()
    headers = [
        (b"content-type", b"application/x-www-form-urlencoded; charset=utf-8"),
        content_length(body),
        (b"cache-control", b"no-store"),
    ]
    await send_response(send, 200, headers, body)


async def _html(send, status: int, page: str) -> None:
    body = page.encode()
    await send_response(send, status, [*HTML_HEADERS, content_length(body)], body)


async def _error_page(send, brand: str, message: str) -> None:
    page = f"""<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><title>Bad request (fake {brand})</title><style>{PAGE_STYLE}</style></head>
<body>
<p class="banner" role="note">This is a fake {brand} for local development. Nothing here reaches the real {brand}.</p>
<main><h1>Bad authorization request</h1><p>{html.escape(message)}</p></main>
</body>
</html>
"""
    await _html(send, 400, page)


async def _redirect(send, location: str) -> None:
    headers = [
        (b"location", location.encode("ascii")),
        (b"content-length", b"0"),
        (b"cache-control", b"no-store"),
        (b"referrer-policy", b"no-referrer"),
    ]
    await send_response(send, 302, headers)


async def _avatar(send, user_id: int) -> None:
    hue = user_id % 360
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
    await send_response(send, 200, headers, body)


app = FakeOAuth()
