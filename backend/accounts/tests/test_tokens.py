import pytest

from accounts.tests.factories import PASSWORD

TOKEN = "/api/v1/auth/token/"
REFRESH = "/api/v1/auth/token/refresh/"
LOGOUT = "/api/v1/auth/logout/"
ME = "/api/v1/auth/me/"
pytestmark = pytest.mark.django_db


def login(api_client, user):
    response = api_client.post(TOKEN, {"email": user.email.upper(), "password": PASSWORD}, format="json")
    assert response.status_code == 200
    return response.json()


def test_login_with_the_email_in_any_case_returns_a_token_pair_that_opens_me(api_client, user):
    tokens = login(api_client, user)

    api_client.credentials(HTTP_AUTHORIZATION=f"Bearer {tokens['access']}")
    assert api_client.get(ME).json()["email"] == user.email


@pytest.mark.parametrize("email", ["{email}", "nobody@example.com"])
def test_wrong_credentials_get_401(api_client, user, email):
    body = {"email": email.format(email=user.email), "password": "wrong-password"}

    response = api_client.post(TOKEN, body, format="json")

    assert response.status_code == 401
    assert "access" not in response.json()


def test_login_without_a_password_is_a_400_naming_the_field(api_client, user):
    response = api_client.post(TOKEN, {"email": user.email}, format="json")

    assert response.status_code == 400
    assert "password" in response.json()


def test_refresh_rotates_the_token_and_the_old_one_stops_working(api_client, user):
    tokens = login(api_client, user)

    first = api_client.post(REFRESH, {"refresh": tokens["refresh"]}, format="json")
    again = api_client.post(REFRESH, {"refresh": tokens["refresh"]}, format="json")

    assert first.status_code == 200
    assert set(first.json()) == {"access", "refresh"}
    assert first.json()["refresh"] != tokens["refresh"]
    assert again.status_code == 401
    assert api_client.post(REFRESH, {"refresh": first.json()["refresh"]}, format="json").status_code == 200


def test_logout_revokes_the_refresh_token(api_client, user):
    tokens = login(api_client, user)
    api_client.credentials(HTTP_AUTHORIZATION=f"Bearer {tokens['access']}")

    response = api_client.post(LOGOUT, {"refresh": tokens["refresh"]}, format="json")

    assert response.status_code == 204
    assert api_client.post(REFRESH, {"refresh": tokens["refresh"]}, format="json").status_code == 401


def test_logout_refuses_a_refresh_token_of_another_user(api_client, user, client_for):
    from accounts.tests.factories import UserFactory

    mallory = UserFactory()
    tokens = login(api_client, user)

    response = client_for(mallory).post(LOGOUT, {"refresh": tokens["refresh"]}, format="json")

    assert response.status_code == 400
    assert api_client.post(REFRESH, {"refresh": tokens["refresh"]}, format="json").status_code == 200


@pytest.mark.parametrize("body", [{}, {"refresh": "garbage"}, {"refresh": 12}])
def test_logout_with_a_bad_refresh_token_is_a_400(auth_client, body):
    response = auth_client.post(LOGOUT, body, format="json")

    assert response.status_code == 400
    assert "refresh" in response.json()


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("get", ME),
        ("patch", ME),
        ("post", LOGOUT),
        ("get", "/api/v1/chats/"),
        ("post", "/api/v1/chats/"),
        ("delete", "/api/v1/chats/"),
        ("get", "/api/v1/chats/1/"),
        ("patch", "/api/v1/chats/1/"),
        ("delete", "/api/v1/chats/1/"),
        ("post", "/api/v1/chats/1/messages/"),
    ],
)
@pytest.mark.parametrize("authorization", [None, "Bearer nonsense", "Basic dXNlcjpwYXNz"])
def test_every_private_endpoint_needs_a_valid_bearer_token(api_client, method, path, authorization):
    if authorization:
        api_client.credentials(HTTP_AUTHORIZATION=authorization)

    response = getattr(api_client, method)(path, {}, format="json")

    assert response.status_code == 401
    assert "detail" in response.json()


@pytest.mark.django_db(transaction=True)
def test_ten_simultaneous_refreshes_of_one_token_mint_exactly_one_pair(api_server):
    """Probe finding 3: up to ten valid pairs came out of one refresh token."""
    import threading
    from concurrent.futures import ThreadPoolExecutor

    import httpx
    from rest_framework_simplejwt.tokens import RefreshToken

    from accounts.tests.factories import UserFactory

    server = api_server(workers=2)
    user = UserFactory()
    for _ in range(20):  # enough rounds that the old, forking refresh fails every run
        refresh = str(RefreshToken.for_user(user))
        barrier = threading.Barrier(10)

        def attempt(_, refresh=refresh, barrier=barrier):
            barrier.wait()
            return httpx.post(f"{server.url}{REFRESH}", json={"refresh": refresh}, timeout=20)

        with ThreadPoolExecutor(10) as pool:
            responses = list(pool.map(attempt, range(10)))

        assert sorted(r.status_code for r in responses) == [200] + [401] * 9
        winner = next(r for r in responses if r.status_code == 200).json()
        again = httpx.post(f"{server.url}{REFRESH}", json={"refresh": winner["refresh"]}, timeout=20)
        assert again.status_code == 200


def test_a_refresh_token_of_a_deleted_user_is_a_401(api_client, user):
    """Probe finding 7: it was a 500 (User.DoesNotExist)."""
    tokens = login(api_client, user)
    user.delete()

    response = api_client.post(REFRESH, {"refresh": tokens["refresh"]}, format="json")

    assert response.status_code == 401
    assert response.json()["detail"]
