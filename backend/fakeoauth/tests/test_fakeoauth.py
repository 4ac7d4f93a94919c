"""The fake speaks GitHub's and Kakao's OAuth2 wire protocol: driven over real HTTP, and by allauth itself."""

from __future__ import annotations

import asyncio
import secrets
import time
from urllib.parse import parse_qs, parse_qsl, urlsplit

import httpx
import pytest

from fakeoauth.app import FakeOAuth
from fakeoauth.core import FakeSettings, stable_id
from fakeoauth.provider import s256
from fakeoauth.tests.consent import ConsentForm
from testsupport.servers import start_fake_oauth

CALLBACK = "http://app.test/accounts/github/login/callback/"
KAKAO_CALLBACK = "http://app.test/accounts/kakao/login/callback/"


@pytest.fixture(scope="module")
def fake_url():
    server = start_fake_oauth()
    yield server.url
    server.stop()


@pytest.fixture
def http(fake_url):
    with httpx.Client(base_url=fake_url, timeout=10) as client:
        client.delete("/_fake/requests")
        yield client


def consent(http, provider: str, **params) -> tuple[httpx.Response, ConsentForm]:
    defaults = {"client_id": "the-client", "state": "s1"}
    if provider == "github":
        defaults |= {"redirect_uri": CALLBACK, "scope": "user:email"}
    else:
        defaults |= {"redirect_uri": KAKAO_CALLBACK, "response_type": "code"}
    page = http.get(f"/{provider}/{'login/' if provider == 'github' else ''}oauth/authorize", params=defaults | params)
    return page, ConsentForm(page.text)


def decide(http, form: ConsentForm, decision: str = "allow", **changes) -> httpx.Response:
    answer = http.post(form.action, data=form.submission(decision, **changes))
    assert answer.status_code == 302, answer.text
    return answer


def query_of(response: httpx.Response) -> dict:
    return dict(parse_qsl(urlsplit(response.headers["location"]).query))


def github_code(http, verifier: str | None = None, **changes) -> str:
    params = {"code_challenge": s256(verifier), "code_challenge_method": "S256"} if verifier else {}
    _, form = consent(http, "github", **params)
    return query_of(decide(http, form, **changes))["code"]


def github_token(http, code: str, *, accept: str = "application/json", **overrides) -> httpx.Response:
    data = {
        "client_id": "the-client",
        "client_secret": "the-secret",
        "code": code,
        "redirect_uri": CALLBACK,
        "grant_type": "authorization_code",
    } | overrides
    return http.post(
        "/github/login/oauth/access_token",
        data={k: v for k, v in data.items() if v is not None},
        headers={"Accept": accept},
    )


def kakao_code(http, **changes) -> str:
    _, form = consent(http, "kakao")
    return query_of(decide(http, form, **changes))["code"]


def kakao_token(http, code: str, **overrides) -> httpx.Response:
    data = {
        "grant_type": "authorization_code",
        "client_id": "the-client",
        "redirect_uri": KAKAO_CALLBACK,
        "code": code,
    } | overrides
    return http.post("/kakao/oauth/token", data=data)


# --- GitHub ---------------------------------------------------------------------------------------


def test_the_github_flow_with_pkce_from_consent_page_to_emails(http):
    verifier = secrets.token_urlsafe(64)
    redirect_uri = "http://app.test/cb?next=%2Fchat"
    page, form = consent(
        http,
        "github",
        redirect_uri=redirect_uri,
        code_challenge=s256(verifier),
        code_challenge_method="S256",
    )

    assert page.status_code == 200
    assert "fake GitHub for local development" in page.text
    assert "form-action *" in page.headers["content-security-policy"]
    assert "frame-ancestors 'none'" in page.headers["content-security-policy"]
    assert page.headers["x-frame-options"] == "DENY"
    assert form.method == "post" and form.action == "/github/login/oauth/authorize"
    for name, label in [("login", "Login"), ("name", "Name"), ("email", "Email"), ("email_verified", "Email verified")]:
        assert f'<label for="{name}">{label}</label>' in page.text
    assert '<label for="simulate">Simulate</label>' in page.text
    assert form.fields == {
        "client_id": "the-client",
        "redirect_uri": redirect_uri,
        "scope": "user:email",
        "state": "s1",
        "code_challenge": s256(verifier),
        "code_challenge_method": "S256",
        "login": "octocat",
        "name": "The Octocat",
        "email": "octocat@example.com",
        "email_verified": "1",
        "simulate": "none",
    }
    assert form.buttons == [("decision", "allow"), ("decision", "deny")]
    assert ">Authorize</button>" in page.text and ">Cancel</button>" in page.text

    back = decide(http, form)
    location = urlsplit(back.headers["location"])
    query = parse_qs(location.query)
    assert f"{location.scheme}://{location.netloc}{location.path}" == "http://app.test/cb"
    assert query["next"] == ["/chat"] and query["state"] == ["s1"] and len(query["code"]) == 1

    token = github_token(http, query["code"][0], redirect_uri=redirect_uri, code_verifier=verifier)
    assert token.status_code == 200
    assert token.headers["content-type"].startswith("application/json")
    body = token.json()
    assert body["access_token"].startswith("gho_") and len(body["access_token"]) == 40
    assert body["token_type"] == "bearer" and body["scope"] == "user:email"

    auth = {"Authorization": f"token {body['access_token']}"}
    user = http.get("/github/api/v3/user", headers=auth).json()
    assert user["login"] == "octocat" and user["name"] == "The Octocat" and user["type"] == "User"
    assert user["id"] == stable_id("github", "octocat", 8) and isinstance(user["id"], int)
    assert user["email"] is None and user["node_id"] and user["html_url"].endswith("/octocat")
    assert http.get(user["avatar_url"]).headers["content-type"] == "image/svg+xml"

    emails = http.get("/github/api/v3/user/emails", headers={"Authorization": f"Bearer {body['access_token']}"})
    assert emails.json() == [
        {"email": "octocat@example.com", "primary": True, "verified": True, "visibility": "public"}
    ]


def test_github_answers_form_encoded_by_default_and_an_empty_email_means_no_emails(http):
    code = github_code(http, login="hubot", email="", email_verified=None)

    token = github_token(http, code, accept="*/*")  # what allauth sends

    assert token.headers["content-type"].startswith("application/x-www-form-urlencoded")
    body = dict(parse_qsl(token.text))
    assert body["token_type"] == "bearer" and body["scope"] == "user:email"
    auth = {"Authorization": f"token {body['access_token']}"}
    assert http.get("/github/api/v3/user", headers=auth).json()["login"] == "hubot"
    assert http.get("/github/api/v3/user/emails", headers=auth).json() == []


def test_an_unverified_email_and_the_same_id_for_the_same_login(http):
    first = github_token(http, github_code(http, email_verified=None)).json()["access_token"]
    second = github_token(http, github_code(http, name="Another Name")).json()["access_token"]

    emails = http.get("/github/api/v3/user/emails", headers={"Authorization": f"token {first}"}).json()
    assert emails[0]["verified"] is False
    ids = [
        http.get("/github/api/v3/user", headers={"Authorization": f"token {t}"}).json()["id"] for t in (first, second)
    ]
    assert ids[0] == ids[1]


def test_github_token_errors_are_http_200_with_an_error_field(http):
    verifier = secrets.token_urlsafe(64)
    cases = {
        "reused": (github_code(http), {}),
        "wrong verifier": (github_code(http, verifier), {"code_verifier": secrets.token_urlsafe(64)}),
        "missing verifier": (github_code(http, verifier), {}),
        "other client": (github_code(http), {"client_id": "someone-else"}),
        "unknown code": ("0" * 20, {}),
    }
    reused = cases["reused"][0]
    assert "access_token" in github_token(http, reused).json()

    for case, (code, overrides) in cases.items():
        answer = github_token(http, code, **overrides)
        assert answer.status_code == 200, case
        assert answer.json()["error"] == "bad_verification_code", case
        assert answer.json()["error_description"] == "The code passed is incorrect or expired.", case
        assert answer.json()["error_uri"].startswith("https://docs.github.com/"), case

    mismatch = github_token(http, github_code(http), redirect_uri="http://app.test/elsewhere/")
    assert mismatch.status_code == 200 and mismatch.json()["error"] == "redirect_uri_mismatch"
    no_secret = github_token(http, github_code(http), client_secret=None)
    assert no_secret.status_code == 200 and no_secret.json()["error"] == "incorrect_client_credentials"
    form_encoded = github_token(http, "0" * 20, accept="*/*")
    assert dict(parse_qsl(form_encoded.text))["error"] == "bad_verification_code"


def test_a_code_is_used_up_by_a_failed_attempt(http):
    verifier = secrets.token_urlsafe(64)
    code = github_code(http, verifier)

    assert github_token(http, code, code_verifier="wrong" * 10).json()["error"] == "bad_verification_code"
    assert github_token(http, code, code_verifier=verifier).json()["error"] == "bad_verification_code"


def test_github_deny_redirects_with_access_denied(http):
    _, form = consent(http, "github", redirect_uri="http://app.test/cb?x=1", state="a b&c")

    location = decide(http, form, "deny").headers["location"]

    assert location.startswith(
        "http://app.test/cb?x=1&error=access_denied"
        "&error_description=The+user+has+denied+your+application+access.&error_uri="
    )
    assert location.endswith("&state=a+b%26c")
    assert query_of(decide(http, consent(http, "github", state="")[1], "deny")).keys() == {
        "error",
        "error_description",
        "error_uri",
    }


def test_without_state_the_code_comes_back_alone(http):
    _, form = consent(http, "github", state="")
    assert query_of(decide(http, form)).keys() == {"code"}


def test_a_bad_github_token_is_401(http):
    for headers in ({}, {"Authorization": "token nope"}, {"Authorization": "Basic Zm9vOmJhcg=="}):
        for path in ("/github/api/v3/user", "/github/api/v3/user/emails"):
            answer = http.get(path, headers=headers)
            assert answer.status_code == 401
            assert answer.json() == {"message": "Bad credentials", "documentation_url": "https://docs.github.com/rest"}


def test_emails_need_the_user_email_scope(http):
    _, form = consent(http, "github", scope="read:user")
    token = github_token(http, query_of(decide(http, form))["code"]).json()

    assert token["scope"] == "read:user"
    assert (
        http.get("/github/api/v3/user/emails", headers={"Authorization": f"token {token['access_token']}"}).status_code
        == 404
    )


def test_simulated_failures(http):
    assert github_token(http, github_code(http, simulate="token_error")).status_code == 500

    token = github_token(http, github_code(http, simulate="profile_error")).json()["access_token"]
    assert http.get("/github/api/v3/user", headers={"Authorization": f"token {token}"}).status_code == 500

    kakao = kakao_token(http, kakao_code(http, simulate="token_error"))
    assert kakao.status_code == 500
    token = kakao_token(http, kakao_code(http, simulate="profile_error")).json()["access_token"]
    assert http.get("/kakao/v2/user/me", headers={"Authorization": f"Bearer {token}"}).status_code == 500


def test_a_stalled_endpoint_stops_when_the_client_gives_up(http, fake_url):
    code = github_code(http, simulate="token_timeout")
    started = time.monotonic()
    with httpx.Client(base_url=fake_url, timeout=0.5) as impatient, pytest.raises(httpx.ReadTimeout):
        github_token(impatient, code)
    assert time.monotonic() - started < 5

    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        record = http.get("/_fake/requests").json()[-1]
        if record["disconnected"]:
            break
        time.sleep(0.05)
    assert record["path"] == "/github/login/oauth/access_token"
    assert record["disconnected"] is True and record["status"] is None


@pytest.mark.parametrize(
    ("provider", "params", "message"),
    [
        ("github", {"client_id": ""}, "client_id is required"),
        ("github", {"redirect_uri": ""}, "redirect_uri is required"),
        ("github", {"redirect_uri": "javascript:alert(1)"}, "redirect_uri must be"),
        ("github", {"code_challenge": "x" * 43, "code_challenge_method": "plain"}, "must be S256"),
        ("github", {"code_challenge": "short", "code_challenge_method": "S256"}, "code_challenge must be"),
        ("kakao", {"response_type": "token"}, "response_type must be code"),
        ("kakao", {"client_id": ""}, "client_id is required"),
    ],
)
def test_bad_authorization_requests_get_an_error_page_not_a_redirect(http, provider, params, message):
    page, _ = consent(http, provider, **params)

    assert page.status_code == 400
    assert "location" not in page.headers
    assert page.headers["content-type"].startswith("text/html")
    assert message in page.text
    assert "frame-ancestors 'none'" in page.headers["content-security-policy"]


def test_a_bad_submission_is_refused(http):
    _, form = consent(http, "github")
    assert http.post(form.action, data=form.submission("maybe")).status_code == 400
    assert http.post(form.action, data=form.submission(simulate="explode")).status_code == 400
    assert http.post(form.action, data=form.submission(login="")).status_code == 400
    assert http.post(form.action, data=form.submission(redirect_uri=None)).status_code == 400


def test_reflected_values_are_escaped(http):
    attack = '"><script>alert(1)</script>'
    for provider in ("github", "kakao"):
        page, form = consent(http, provider, state=attack, client_id=attack, scope=attack)

        assert page.status_code == 200
        assert "<script>" not in page.text
        assert "&lt;script&gt;" in page.text
        assert form.fields["state"] == attack  # and it survives the round trip intact
        assert query_of(decide(http, form))["state"] == attack


# --- Kakao ----------------------------------------------------------------------------------------


def test_the_kakao_flow(http):
    page, form = consent(http, "kakao")
    assert "fake Kakao for local development" in page.text
    for name, label in [
        ("nickname", "Nickname"),
        ("email", "Email"),
        ("email_verified", "Email verified"),
        ("share_email", "Share email"),
        ("simulate", "Simulate"),
    ]:
        assert f'<label for="{name}">{label}</label>' in page.text
    assert form.fields["nickname"] == "라이언" and form.fields["email"] == "ryan@kakao.example"
    assert form.fields["share_email"] and form.fields["email_verified"]
    assert ">Agree</button>" in page.text and ">Cancel</button>" in page.text

    query = query_of(decide(http, form))
    assert query["state"] == "s1"
    token = kakao_token(http, query["code"], client_secret="optional")
    assert token.status_code == 200
    body = token.json()
    assert body["token_type"] == "bearer" and body["expires_in"] == 21599
    assert body["refresh_token"] and body["refresh_token_expires_in"] == 5183999
    assert body["scope"] == "account_email profile_nickname"

    me = http.get("/kakao/v2/user/me", headers={"Authorization": f"Bearer {body['access_token']}"}).json()
    assert me["id"] == stable_id("kakao", "ryan@kakao.example", 10)
    assert me["connected_at"].endswith("Z")
    assert me["properties"] == {"nickname": "라이언"}
    assert me["kakao_account"] == {
        "profile_nickname_needs_agreement": False,
        "profile": {"nickname": "라이언", "is_default_nickname": False},
        "has_email": True,
        "email_needs_agreement": False,
        "is_email_valid": True,
        "is_email_verified": True,
        "email": "ryan@kakao.example",
    }


def test_kakao_with_the_email_consent_declined(http):
    token = kakao_token(http, kakao_code(http, share_email=None, email_verified=None)).json()

    assert token["scope"] == "profile_nickname"
    me = http.get("/kakao/v2/user/me", headers={"Authorization": f"Bearer {token['access_token']}"}).json()
    account = me["kakao_account"]
    assert "email" not in account
    assert account["email_needs_agreement"] is True and account["has_email"] is True
    assert me["id"] == stable_id("kakao", "ryan@kakao.example", 10)  # the same person either way


def test_kakao_deny_redirects_with_access_denied(http):
    _, form = consent(http, "kakao", state="a b")

    location = decide(http, form, "deny").headers["location"]

    assert location == f"{KAKAO_CALLBACK}?error=access_denied&error_description=User%20denied%20access&state=a%20b"


def test_kakao_token_errors_are_400_with_an_error_code(http):
    reused = kakao_code(http)
    assert kakao_token(http, reused).status_code == 200

    for code, overrides in [(reused, {}), (kakao_code(http), {"client_id": "someone-else"}), ("nope", {})]:
        answer = kakao_token(http, code, **overrides)
        assert answer.status_code == 400
        assert answer.json() == {
            "error": "invalid_grant",
            "error_description": f"authorization code not found for code={code}",
            "error_code": "KOE320",
        }
    mismatch = kakao_token(http, kakao_code(http), redirect_uri="http://app.test/elsewhere/")
    assert mismatch.status_code == 400 and mismatch.json()["error_code"] == "KOE303"


def test_kakao_pkce(http):
    verifier = secrets.token_urlsafe(64)
    _, form = consent(http, "kakao", code_challenge=s256(verifier), code_challenge_method="S256")
    code = query_of(decide(http, form))["code"]
    assert kakao_token(http, code, code_verifier="x" * 64).json()["error_code"] == "KOE320"

    _, form = consent(http, "kakao", code_challenge=s256(verifier), code_challenge_method="S256")
    code = query_of(decide(http, form))["code"]
    assert kakao_token(http, code, code_verifier=verifier).status_code == 200


def test_a_bad_kakao_token_is_401(http):
    github = github_token(http, github_code(http)).json()["access_token"]
    for headers in ({}, {"Authorization": "Bearer nope"}, {"Authorization": f"Bearer {github}"}):
        answer = http.get("/kakao/v2/user/me", headers=headers)
        assert answer.status_code == 401
        assert answer.json() == {"msg": "this access token does not exist", "code": -401}


# --- both -----------------------------------------------------------------------------------------


def test_the_request_log_lists_and_clears(http):
    github_token(http, github_code(http), accept="*/*")
    http.get("/kakao/v2/user/me", headers={"Authorization": "Bearer nope"})

    log = http.get("/_fake/requests").json()
    assert [(r["method"], r["path"], r["status"]) for r in log] == [
        ("GET", "/github/login/oauth/authorize", 200),
        ("POST", "/github/login/oauth/authorize", 302),
        ("POST", "/github/login/oauth/access_token", 200),
        ("GET", "/kakao/v2/user/me", 401),
    ]
    assert log[0]["query"]["client_id"] == "the-client"
    assert log[2]["form"]["grant_type"] == "authorization_code" and log[2]["accept"] == "*/*"
    assert [r["authorization"] for r in log] == [False, False, False, True]

    assert http.delete("/_fake/requests").status_code == 200
    assert http.get("/_fake/requests").json() == []


def test_unknown_paths_and_methods(http):
    assert http.get("/github/login/oauth/elsewhere").status_code == 404
    assert http.get("/gitlab/oauth/authorize").status_code == 404
    assert http.get("/github/login/oauth/access_token").status_code == 405


def test_a_code_expires():
    """In process, with a zero lifetime."""

    async def scenario():
        transport = httpx.ASGITransport(app=FakeOAuth(FakeSettings(code_ttl=0)))
        async with httpx.AsyncClient(transport=transport, base_url="http://fake") as client:
            page = await client.get(
                "/github/login/oauth/authorize", params={"client_id": "c", "redirect_uri": CALLBACK}
            )
            form = ConsentForm(page.text)
            back = await client.post(form.action, data=form.submission())
            await asyncio.sleep(0.01)
            data = {"client_id": "c", "client_secret": "s", "code": query_of(back)["code"], "redirect_uri": CALLBACK}
            return await client.post("/github/login/oauth/access_token", data=data)

    assert dict(parse_qsl(asyncio.run(scenario()).text))["error"] == "bad_verification_code"
