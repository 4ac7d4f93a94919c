import pytest

ME = "/api/v1/auth/me/"
pytestmark = pytest.mark.django_db


def test_me_shows_the_profile_and_todays_quota(auth_client, user):
    body = auth_client.get(ME).json()

    assert body["email"] == user.email
    assert set(body) == {
        "id",
        "email",
        "email_verified",
        "nickname",
        "born_year",
        "job",
        "quota",
        "allowance",
        "is_staff",
        "social_accounts",
        "has_password",
    }
    assert body["social_accounts"] == []
    assert body["has_password"] is True
    assert body["quota"]["limit"] == 5
    assert body["quota"]["used"] == 0
    assert body["quota"]["remaining"] == 5
    assert body["quota"]["resets_at"].endswith(("Z", "+00:00"))
    assert body["quota"]["tokens"] == {
        "daily": {"limit": None, "used": 0, "remaining": None},
        "monthly": {"limit": None, "used": 0, "remaining": None},
    }
    assert body["allowance"] == {"source": "default", "groups": [], "models": None}
    assert body["is_staff"] is False


def test_patch_me_changes_the_profile_but_never_email_or_flags(auth_client, user):
    response = auth_client.patch(
        ME,
        {
            "nickname": "neo",
            "born_year": 1999,
            "job": "hacker",
            "email": "x@example.com",
            "is_staff": True,
            "daily_limit": 99,
        },
        format="json",
    )

    assert response.status_code == 200
    user.refresh_from_db()
    assert (user.nickname, user.born_year, user.job) == ("neo", 1999, "hacker")
    assert (user.email, user.is_staff, user.daily_limit) != ("x@example.com", True, 99)
    assert user.email != "x@example.com"
    assert user.is_staff is False
    assert user.daily_limit is None


@pytest.mark.parametrize(
    "body",
    [
        {"born_year": "old"},
        {"born_year": "1990"},
        {"born_year": 1200},
        {"nickname": ["a"]},
        {"job": 0},
        {"job": "j" * 101},
    ],
)
def test_patch_me_rejects_bad_values(auth_client, user, body):
    response = auth_client.patch(ME, body, format="json")

    assert response.status_code == 400
    assert set(body) <= set(response.json())


def test_put_on_me_is_not_allowed(auth_client):
    assert auth_client.put(ME, {"nickname": "x"}, format="json").status_code == 405
