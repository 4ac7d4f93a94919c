"""Health, OpenAPI docs and admin: the service around the API."""

import pytest
from django.core.management import call_command

pytestmark = pytest.mark.django_db


def test_health_is_ok_when_the_database_answers_and_the_cache_is_local(api_client):
    response = api_client.get("/api/health/")

    assert response.status_code == 200
    assert response.json() == {"status": "ok", "database": "ok", "cache": "local"}


def test_the_openapi_schema_generates_without_warnings(tmp_path):
    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(tmp_path / "schema.yml"))

    assert "/api/v1/chats/{id}/messages/" in (tmp_path / "schema.yml").read_text()


def test_the_schema_declares_bearer_auth_and_the_send_errors(api_client):
    schema = api_client.get("/api/schema/", HTTP_ACCEPT="application/json").json()

    assert schema["components"]["securitySchemes"]["jwtAuth"]["scheme"] == "bearer"
    send = schema["paths"]["/api/v1/chats/{id}/messages/"]["post"]
    assert {"201", "400", "401", "404", "429", "502", "503", "504"} <= set(send["responses"])
    assert "X-RateLimit-Remaining" in send["responses"]["201"]["headers"]
    assert (
        "security" not in schema["paths"]["/api/v1/auth/signup/"]["post"]
        or {} in schema["paths"]["/api/v1/auth/signup/"]["post"]["security"]
    )


@pytest.mark.parametrize("path", ["/api/docs/?script=", "/api/redoc/"])
def test_the_interactive_docs_load_from_our_own_files_under_a_strict_csp(api_client, path):
    response = api_client.get(path)

    assert response.status_code == 200
    assert b"/api/schema/" in response.content
    assert "script-src 'self';" in response["Content-Security-Policy"]
    assert b"cdn." not in response.content and b"googleapis" not in response.content


def test_the_admin_lists_users_chats_and_quotas(client, admin_user):
    client.force_login(admin_user)

    for path in ("/admin/accounts/user/", "/admin/chat/chatbot/", "/admin/chat/dailyusage/", "/admin/chat/reply/"):
        assert client.get(path).status_code == 200
    assert client.get(f"/admin/accounts/user/{admin_user.pk}/change/").status_code == 200
    assert client.get("/admin/accounts/user/add/").status_code == 200
