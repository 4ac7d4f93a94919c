"""The base of a fake provider: the consent flow, the checks of a code's use, the simulated failures.

A provider (`github.py`, `kakao.py`) subclasses `Provider` with its brand, its consent fields and
its token and user endpoints, as allauth's `providers/<name>/` build on its base provider.
"""

from __future__ import annotations

import base64
import hashlib
import re
import secrets
import time
from typing import TYPE_CHECKING
from urllib.parse import quote, urlencode, urlsplit, urlunsplit

from fakeoauth.core import Grant, Handler, PatternHandler, Request, send_api_json
from fakeoauth.pages import MAX_FIELD, consent_page, error_page, send_page
from fakeserver.asgi import send_response, sleep_or_disconnect

if TYPE_CHECKING:
    from fakeoauth.core import OAuthServer

SIMULATE = {  # mode -> its label on the consent page
    "none": "none: the normal flow",
    "token_error": "token_error: token endpoint answers 500",
    "token_timeout": "token_timeout: token endpoint sleeps 60 s",
    "profile_error": "profile_error: user endpoint answers 500",
    "profile_timeout": "profile_timeout: user endpoint sleeps 60 s",
}
SIMULATE_MODES = tuple(SIMULATE)
CHALLENGE = re.compile(r"[A-Za-z0-9_-]{43}")


class BadRequest(Exception):
    """An authorization request the fake refuses with an error page (no redirect: it may be forged)."""


def s256(verifier: str) -> str:
    return base64.urlsafe_b64encode(hashlib.sha256(verifier.encode("ascii")).digest()).rstrip(b"=").decode()


def pkce_ok(grant: Grant, verifier: str) -> bool:
    if not grant.code_challenge:
        return True
    if not verifier or not verifier.isascii():
        return False
    return secrets.compare_digest(s256(verifier), grant.code_challenge)


def with_query(uri: str, params: dict, *, quote_via) -> str:
    """`uri` with `params` added to the query string it may already have."""
    parts = urlsplit(uri)
    extra = urlencode(params, quote_via=quote_via)
    return urlunsplit(parts._replace(query=f"{parts.query}&{extra}" if parts.query else extra))


def client_credentials(request: Request) -> tuple[str, str]:
    """client_id and client_secret, from the form or from HTTP Basic authentication."""
    scheme, _, value = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() == "basic":
        try:
            client_id, _, secret = base64.b64decode(value.strip()).decode().partition(":")
        except ValueError:
            return "", ""
        return client_id, secret
    return request.form.get("client_id", ""), request.form.get("client_secret", "")


def form_text(form: dict, name: str, label: str, *, required: bool) -> str:
    """A consent form's text field, stripped; BadRequest if missing (when required) or too long."""
    value = (form.get(name) or "").strip()
    if required and not value:
        raise BadRequest(f"{label} is required")
    if len(value) > MAX_FIELD:
        raise BadRequest(f"{label} is too long")
    return value


def authorization_params(source: dict, *, response_type_required: bool) -> dict:
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
    if response_type_required and (source.get("response_type") or "") != "code":
        raise BadRequest("response_type must be code")
    if params["code_challenge_method"] and params["code_challenge_method"] != "S256":
        raise BadRequest("code_challenge_method must be S256")
    if params["code_challenge"] and not params["code_challenge_method"]:
        raise BadRequest("code_challenge_method must be S256")
    if params["code_challenge_method"] and not CHALLENGE.fullmatch(params["code_challenge"]):
        raise BadRequest("code_challenge must be a base64url SHA-256 digest (43 characters)")
    if response_type_required:
        params["response_type"] = "code"
    return params


async def send_redirect(send, location: str) -> None:
    headers = [
        (b"location", location.encode("ascii")),
        (b"content-length", b"0"),
        (b"cache-control", b"no-store"),
        (b"referrer-policy", b"no-referrer"),
    ]
    await send_response(send, 302, headers)


class Provider:
    """One provider on the shared core: the consent flow is here, its token and user endpoints in the subclass."""

    name: str  # the URL prefix and Grant.provider
    brand: str
    authorize_path: str
    allow_label: str  # the consent page's allow button
    denied: dict[str, str]  # the error parameters a Cancel redirects with
    quote_via = staticmethod(quote)  # how the redirect's query is encoded
    response_type_required = False
    token_schemes: tuple[str, ...] = ("bearer",)
    token_ttl: float | None = None  # None: tokens do not expire

    def __init__(self, server: OAuthServer):
        self.server = server

    def routes(self) -> dict[str, dict[str, Handler]]:
        """Path -> method -> handler; subclasses add theirs."""
        return {self.authorize_path: {"GET": self.authorize, "POST": self.decide}}

    def patterns(self) -> list[tuple[re.Pattern, PatternHandler]]:
        """GET routes by path pattern, tried after the exact ones."""
        return []

    def new_code(self) -> str:
        raise NotImplementedError

    def consent_fields(self) -> str:
        raise NotImplementedError

    def profile_from_form(self, form: dict) -> dict:
        raise NotImplementedError

    async def authorize(self, request: Request) -> None:
        try:
            params = authorization_params(request.query, response_type_required=self.response_type_required)
        except BadRequest as error:
            await send_page(request.send, 400, error_page(self.brand, str(error)))
            return
        page = consent_page(
            brand=self.brand,
            allow=self.allow_label,
            fields=self.consent_fields(),
            action=request.path,
            params=params,
            simulate=SIMULATE,
        )
        await send_page(request.send, 200, page)

    async def decide(self, request: Request) -> None:
        form = request.form
        try:
            params = authorization_params(form, response_type_required=self.response_type_required)
            decision = form.get("decision")
            if decision not in ("allow", "deny"):
                raise BadRequest("decision must be allow or deny")
            simulate = form.get("simulate") or "none"
            if simulate not in SIMULATE_MODES:
                raise BadRequest(f"simulate must be one of {', '.join(SIMULATE_MODES)}")
            profile = self.profile_from_form(form) if decision == "allow" else {}
        except BadRequest as error:
            await send_page(request.send, 400, error_page(self.brand, str(error)))
            return
        state = {"state": params["state"]} if params["state"] else {}
        if decision == "deny":
            await send_redirect(request.send, self.callback_url(params, {**self.denied, **state}))
            return
        grant = Grant(
            provider=self.name,
            client_id=params["client_id"],
            redirect_uri=params["redirect_uri"],
            scope=params["scope"],
            code_challenge=params["code_challenge"],
            profile=profile,
            simulate=simulate,
        )
        code = self.server.issue_code(grant, self.new_code())
        await send_redirect(request.send, self.callback_url(params, {"code": code, **state}))

    def callback_url(self, params: dict, answer: dict) -> str:
        """The client's redirect_uri with `answer` (the code, or the error) added to its query."""
        return with_query(params["redirect_uri"], answer, quote_via=self.quote_via)

    def grant_for(self, request: Request) -> Grant | None:
        """The grant of the request's access token; None if it has none, or an unknown or expired one."""
        scheme, _, token = request.headers.get("authorization", "").partition(" ")
        if scheme.lower() not in self.token_schemes or not token.strip():
            return None
        grant = self.server.tokens.get(token.strip())
        if grant is None or grant.provider != self.name:
            return None
        if self.token_ttl is not None and time.time() - grant.issued > self.token_ttl:
            return None
        return grant

    async def simulate(self, request: Request, mode: str, stage: str, error_body: dict) -> bool:
        """Play out the grant's failure mode for `stage` ("token" or "profile"); True if it answered."""
        if mode == f"{stage}_error":
            await send_api_json(request.send, 500, error_body)
            return True
        if mode == f"{stage}_timeout" and await sleep_or_disconnect(request.receive, self.server.settings.stall):
            request.record.disconnected = True  # the client gave up: nobody to answer
            return True
        return False
