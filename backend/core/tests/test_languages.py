"""The API's words in the client's language: Korean with `Accept-Language: ko`, English otherwise.

Ours come from locale/ko/LC_MESSAGES/django.po (compiled by `make install`); Django's and DRF's own
(password validators, "This field is required.") are their shipped translations.
"""

import pytest
from asgiref.sync import async_to_sync
from babel.messages.mofile import read_mo
from babel.messages.pofile import read_po
from django.conf import settings
from django.test import AsyncClient
from rest_framework_simplejwt.tokens import RefreshToken

from accounts.api_keys import api_key_create
from accounts.tests.factories import UserFactory
from chat.tests.factories import ChatBotFactory

pytestmark = pytest.mark.django_db
SIGNUP = "/api/v1/auth/signup/"
KOREAN = {"HTTP_ACCEPT_LANGUAGE": "ko"}
CATALOGUE = settings.BASE_DIR / "locale" / "ko" / "LC_MESSAGES"


def signup(client, password="password", **headers):  # noqa: S107 ("password" is too common)
    return client.post(SIGNUP, {"email": "ann@example.com", "password": password}, format="json", **headers)


def test_django_s_password_validators_answer_in_korean(api_client):
    response = signup(api_client, **KOREAN)

    assert response.status_code == 400
    assert "너무 흔히 사용되는 비밀번호입니다." in response.json()["password"]
    assert response["Content-Language"] == "ko"
    assert "Accept-Language" in response["Vary"]


@pytest.mark.parametrize("headers", [{}, {"HTTP_ACCEPT_LANGUAGE": "en"}, {"HTTP_ACCEPT_LANGUAGE": "fr-FR,fr;q=0.9"}])
def test_english_without_korean_in_accept_language(api_client, headers):
    response = signup(api_client, **headers)

    assert "This password is too common." in response.json()["password"]
    assert response["Content-Language"] == "en"


def test_drf_s_own_messages_answer_in_korean(api_client):
    response = api_client.post(SIGNUP, {}, format="json", **KOREAN)

    assert response.json()["email"] == ["이 필드는 필수 항목입니다."]


def test_our_validation_errors_answer_in_korean(api_client):
    UserFactory(email="ann@example.com")

    response = signup(api_client, password="correct horse battery", HTTP_ACCEPT_LANGUAGE="ko-KR,ko;q=0.9,en;q=0.8")

    assert response.status_code == 400
    assert response.json()["email"] == ["이 이메일을 쓰는 계정이 이미 있어요."]


def test_our_detail_answers_in_korean_and_english(auth_client):
    missing = "/api/v1/chats/999999/"

    assert auth_client.get(missing, **KOREAN).json() == {"detail": "찾을 수 없어요."}
    assert auth_client.get(missing).json() == {"detail": "Not found."}


def test_a_message_with_values_is_translated_with_them(client_for, mock_llm):
    user = UserFactory(daily_limit=0)
    chat = ChatBotFactory(user=user)

    refused = client_for(user).post(f"/api/v1/chats/{chat.pk}/messages/", {"content": "Hi"}, format="json", **KOREAN)

    assert refused.status_code == 429
    detail = refused.json()["detail"]
    assert detail.startswith("오늘 쓸 수 있는 답변 0개를 모두 썼어요. 한도는 ")
    assert refused.json()["resets_at"][:10] in detail


def test_under_asgi_too(user):
    client = AsyncClient()  # through the ASGI handler: the middleware's hooks run on the event loop
    token = RefreshToken.for_user(user).access_token
    get = async_to_sync(client.get)

    anonymous = get("/api/v1/chats/999999/", headers={"Accept-Language": "ko"})
    missing = get("/api/v1/chats/999999/", headers={"Accept-Language": "ko", "Authorization": f"Bearer {token}"})

    assert anonymous.json()["detail"] == "자격 인증 데이터가 제공되지 않았습니다."
    assert (missing.status_code, missing.json()["detail"]) == (404, "찾을 수 없어요.")
    assert missing["Content-Language"] == "ko"


def test_the_openai_compatible_api_stays_english(user, api_client):
    api_client.credentials(HTTP_AUTHORIZATION=f"Bearer {api_key_create(user=user, name='script').key}")

    response = api_client.post("/api/openai/v1/chat/completions", {}, format="json", **KOREAN)

    assert response.status_code == 400
    assert "This field is required." in response.json()["error"]["message"]


def test_every_message_has_a_korean_translation_and_the_compiled_catalogue_is_current():
    with open(CATALOGUE / "django.po", "rb") as po_file:
        po = {message.id: message.string for message in read_po(po_file) if message.id}
    with open(CATALOGUE / "django.mo", "rb") as mo_file:
        mo = {message.id: message.string for message in read_mo(mo_file) if message.id}

    assert po, "the catalogue is empty"
    assert [msgid for msgid, msgstr in po.items() if not msgstr] == []
    assert mo == po, "locale/ko/LC_MESSAGES/django.mo is stale: run `make messages`"
