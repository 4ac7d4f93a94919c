"""A fake of GitHub's and Kakao's OAuth2 providers: their wire protocol, a consent page you fill in.

Used by `make run` for local sign-in without real apps, by the tests and by the browser tests.
One server answers for both, under two prefixes (point the API at `GITHUB_URL=<base>/github` and
`KAKAO_AUTH_URL=KAKAO_API_URL=<base>/kakao`); each provider's endpoints are listed in its module
(`github.py`, `kakao.py`), what they share is in `core.py` (the server) and `provider.py`.

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

from fakeoauth.core import OAuthServer
from fakeoauth.github import GitHub
from fakeoauth.kakao import Kakao


class FakeOAuth(OAuthServer):
    providers = (GitHub, Kakao)


app = FakeOAuth()
