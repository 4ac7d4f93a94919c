import pytest

from accounts.models import User

SIGNUP = "/api/v1/auth/signup/"
pytestmark = pytest.mark.django_db


def test_signup_creates_a_user_and_never_returns_the_password(api_client):
    response = api_client.post(
        SIGNUP,
        {"email": "Ann@Example.com", "password": "correct horse battery", "nickname": "ann", "born_year": 1990},
        format="json",
    )

    assert response.status_code == 201
    assert response.json() == {
        "id": response.json()["id"],
        "email": "ann@example.com",
        "nickname": "ann",
        "born_year": 1990,
        "job": None,
    }
    assert User.objects.get(email="ann@example.com").check_password("correct horse battery")


def test_signup_ignores_privilege_fields(api_client):
    response = api_client.post(
        SIGNUP,
        {
            "email": "eve@example.com",
            "password": "correct horse battery",
            "is_staff": True,
            "is_superuser": True,
            "daily_limit": 1000,
        },
        format="json",
    )

    assert response.status_code == 201
    eve = User.objects.get(email="eve@example.com")
    assert (eve.is_staff, eve.is_superuser, eve.daily_limit) == (False, False, None)


def test_signup_refuses_an_email_already_taken_in_any_case(api_client):
    api_client.post(SIGNUP, {"email": "bob@example.com", "password": "correct horse battery"}, format="json")

    response = api_client.post(SIGNUP, {"email": "BOB@example.COM", "password": "correct horse battery"}, format="json")

    assert response.status_code == 400
    assert "email" in response.json()
    assert User.objects.filter(email__iexact="bob@example.com").count() == 1


@pytest.mark.parametrize("password", ["short", "12345678901", "password123", "bob@example.com"])
def test_signup_applies_django_password_validators(api_client, password):
    response = api_client.post(SIGNUP, {"email": "bob@example.com", "password": password}, format="json")

    assert response.status_code == 400
    assert response.json()["password"]
    assert not User.objects.exists()


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"password": "correct horse battery"}, "email"),
        ({"email": "not-an-email", "password": "correct horse battery"}, "email"),
        ({"email": "a@example.com"}, "password"),
        ({"email": ["a@example.com"], "password": "correct horse battery"}, "email"),
        ({"email": "a@example.com", "password": "correct horse battery", "born_year": "soon"}, "born_year"),
        ({"email": "a@example.com", "password": "correct horse battery", "born_year": 10**20}, "born_year"),
        ({"email": "a@example.com", "password": "correct horse battery", "nickname": "x" * 51}, "nickname"),
        ({"email": "a" * 300 + "@example.com", "password": "correct horse battery"}, "email"),
        ({"email": "a@example.com", "password": "x" * 10_000}, "password"),
        ({"email": "a@example.com", "password": "correct horse battery", "job": "\x00"}, "job"),
    ],
)
def test_signup_rejects_bad_fields_with_a_message_per_field(api_client, body, field):
    response = api_client.post(SIGNUP, body, format="json")

    assert response.status_code == 400
    assert field in response.json()
    assert not User.objects.exists()


@pytest.mark.parametrize("raw", [b"{not json", b"[1, 2]", b'"a string"', b"\xff\xfe"])
def test_signup_rejects_a_body_that_is_not_a_json_object(api_client, raw):
    response = api_client.post(SIGNUP, raw, content_type="application/json")

    assert response.status_code == 400
    assert response.json()


def test_signup_and_login_are_throttled_per_ip(api_client, settings):
    settings.AUTH_THROTTLE_RATE = "3/minute"
    for n in range(3):
        api_client.post(SIGNUP, {"email": f"u{n}@example.com", "password": "correct horse battery"}, format="json")

    signup = api_client.post(SIGNUP, {"email": "late@example.com", "password": "correct horse battery"}, format="json")
    login = api_client.post("/api/v1/auth/token/", {"email": "u0@example.com", "password": "x"}, format="json")

    assert signup.status_code == 429
    assert "Retry-After" in signup.headers
    assert login.status_code == 429
    assert not User.objects.filter(email="late@example.com").exists()
