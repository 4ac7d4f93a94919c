"""Images sent with a message: checked, stored once, sent upstream (the mock says what it saw), served
to their owner only, counted per message and per day, deleted with their chat."""

import io
import json

import httpx
import pytest
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image
from rest_framework_simplejwt.tokens import RefreshToken

from accounts.api_keys import api_key_create
from accounts.tests.factories import UserFactory
from chat.exceptions import ImageRefused, ImageTooLarge
from chat.images import image_from_data_url, image_tokens
from chat.models import DailyUsage, PromptImage
from chat.tests.factories import ChatBotFactory

pytestmark = pytest.mark.django_db


def picture(width=40, height=30, image_format="PNG", **save) -> bytes:
    output = io.BytesIO()
    Image.new("RGB", (width, height), (200, 30, 90)).save(output, image_format, **save)
    return output.getvalue()


def upload(data: bytes, name="picture.png", content_type="image/png") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, data, content_type=content_type)


def send_with_images(client, chat, *images, content="What is this?", **extra):
    body = {"content": content, "images": list(images)}
    return client.post(f"/api/v1/chats/{chat.pk}/messages/", body, format="multipart", **extra)


def test_a_png_sent_as_multipart_reaches_the_model_and_is_listed_on_the_prompt(auth_client, user, mock_llm):
    chat = ChatBotFactory(user=user)

    response = send_with_images(auth_client, chat, upload(picture(40, 30)))

    assert response.status_code == 201, response.content
    body = response.json()
    assert body["reply"]["choices"][0]["content"] == "Mock reply: What is this? I see a 40x30 PNG image."
    [image] = body["images"]
    assert (image["media_type"], image["width"], image["height"]) == ("image/png", 40, 30)
    assert image["url"] == f"http://testserver/api/v1/chats/{chat.pk}/images/{image['id']}/"
    content = mock_llm.last_messages()[-1]["content"]
    assert content[0] == {"type": "text", "text": "What is this?"}
    assert content[1]["image_url"]["url"].startswith("data:image/png;base64,")
    assert auth_client.get(f"/api/v1/chats/{chat.pk}/").json()["prompts"][0]["images"] == [image]


def test_the_image_is_served_to_its_owner_with_its_type_privately(auth_client, user, mock_llm):
    chat = ChatBotFactory(user=user)
    [image] = send_with_images(auth_client, chat, upload(picture(), name="x.jpg", content_type="image/jpeg")).json()[
        "images"
    ]

    served = auth_client.get(image["url"], HTTP_ACCEPT="image/*")

    assert served.status_code == 200
    assert served["Content-Type"] == "image/png"  # what the bytes are, not what the client said
    assert served["X-Content-Type-Options"] == "nosniff"
    assert served["Cache-Control"].startswith("private")
    assert Image.open(io.BytesIO(served.content)).size == (40, 30)
    assert auth_client.__class__().get(image["url"]).status_code == 401


def test_an_api_key_reads_its_owners_image(auth_client, user, api_client, mock_llm):
    chat = ChatBotFactory(user=user)
    [image] = send_with_images(auth_client, chat, upload(picture())).json()["images"]
    api_client.credentials(HTTP_AUTHORIZATION=f"Bearer {api_key_create(user=user, name='script').key}")

    assert api_client.get(image["url"]).status_code == 200
    api_client.credentials(HTTP_AUTHORIZATION=f"Bearer {api_key_create(user=UserFactory(), name='other').key}")
    assert api_client.get(image["url"]).status_code == 404


def test_another_users_image_does_not_exist_for_them(auth_client, user, client_for, mock_llm):
    chat = ChatBotFactory(user=user)
    [image] = send_with_images(auth_client, chat, upload(picture())).json()["images"]
    stranger = client_for(UserFactory())

    assert stranger.get(image["url"]).status_code == 404
    assert stranger.get(f"/api/v1/chats/{chat.pk}/images/{image['id'] + 1}/").status_code == 404
    stored = PromptImage.objects.get(pk=image["id"]).file.name
    assert stored.startswith(f"chat-images/{user.pk}/") and len(stored.rsplit("/", 1)[-1]) == 32 + 4
    assert stranger.get(f"/media/{stored}").status_code == 404  # the storage is never served as it is


def test_exif_is_stripped_and_a_photo_keeps_its_orientation(auth_client, user, mock_llm):
    exif = Image.Exif()
    exif[0x0112] = 6  # rotated: shown 90 degrees clockwise
    exif[0x010F] = "Secret Camera Maker"
    photo = picture(60, 20, "JPEG", exif=exif.tobytes(), comment=b"taken at 12 Secret Street")
    chat = ChatBotFactory(user=user)

    [image] = send_with_images(auth_client, chat, upload(photo, "photo.jpg", "image/jpeg")).json()["images"]

    stored = default_storage.open(PromptImage.objects.get(pk=image["id"]).file.name).read()
    assert b"Secret Camera Maker" in photo and b"Secret Camera Maker" not in stored
    assert b"Secret Street" in photo and b"Secret Street" not in stored
    assert not Image.open(io.BytesIO(stored)).getexif()
    assert (image["width"], image["height"]) == (20, 60)


def test_a_text_file_renamed_png_is_refused_and_nothing_is_asked(auth_client, user, mock_llm):
    chat = ChatBotFactory(user=user)

    response = send_with_images(auth_client, chat, upload(b"not an image at all, just text\n" * 10))

    assert response.status_code == 400
    assert "not an image" in response.json()["detail"]
    assert mock_llm.requests() == []
    assert not PromptImage.objects.exists()


def test_an_unsupported_image_type_is_refused(auth_client, user, mock_llm):
    chat = ChatBotFactory(user=user)

    response = send_with_images(auth_client, chat, upload(picture(image_format="BMP"), "x.png"))

    assert response.status_code == 400
    assert "BMP" in response.json()["detail"]


def test_an_image_over_the_size_limit_is_a_413(auth_client, user, mock_llm, settings):
    settings.CHAT_IMAGE_MAX_BYTES = 1000
    chat = ChatBotFactory(user=user)

    response = send_with_images(auth_client, chat, upload(picture(400, 400, "PNG", compress_level=0)))

    assert response.status_code == 413
    assert "at most 1000 bytes" in response.json()["detail"]
    assert mock_llm.requests() == []


def test_more_images_than_a_message_may_carry_are_refused(auth_client, user, mock_llm, settings):
    settings.CHAT_IMAGES_PER_MESSAGE = 2
    chat = ChatBotFactory(user=user)

    response = send_with_images(auth_client, chat, *[upload(picture()) for _ in range(3)])

    assert response.status_code == 400
    assert "at most 2 images" in response.json()["detail"]
    assert mock_llm.requests() == []


def test_the_daily_image_limit_counts_stored_images_and_refuses_past_it(auth_client, user, mock_llm, settings):
    settings.CHAT_IMAGES_PER_DAY = 3
    chat = ChatBotFactory(user=user)

    assert send_with_images(auth_client, chat, upload(picture()), upload(picture())).status_code == 201
    refused = send_with_images(auth_client, chat, upload(picture()), upload(picture()))
    assert refused.status_code == 400
    assert "3 images a day" in refused.json()["detail"]
    assert "1 left" in refused.json()["detail"]
    assert send_with_images(auth_client, chat, upload(picture())).status_code == 201
    assert DailyUsage.objects.get(user=user).images == 3
    assert len(mock_llm.requests()) == 2


def test_past_a_limit_the_images_are_refused_before_they_are_read(auth_client, user, mock_llm, settings):
    settings.CHAT_IMAGES_PER_DAY = 1
    chat = ChatBotFactory(user=user)
    assert send_with_images(auth_client, chat, upload(picture())).status_code == 201
    not_an_image = upload(b"\x89PNG but not really" * 1000)  # decoding it would answer invalid_image

    past_images = send_with_images(auth_client, chat, not_an_image)

    assert past_images.status_code == 400
    assert "1 images a day and have 0 left" in past_images.json()["detail"]
    user.daily_limit = 1
    user.save(update_fields=["daily_limit"])
    settings.CHAT_IMAGES_PER_DAY = 10
    past_count = send_with_images(auth_client, chat, upload(b"\x89PNG but not really"))
    assert past_count.status_code == 429
    assert "all 1 completions" in past_count.json()["detail"]
    assert len(mock_llm.requests()) == 1


@pytest.mark.parametrize("budget", ["daily_tokens", "monthly_tokens"])
def test_with_no_token_left_the_images_are_refused_before_they_are_read(auth_client, user, mock_llm, budget):
    chat = ChatBotFactory(user=user)
    assert send_with_images(auth_client, chat, upload(picture())).status_code == 201
    usage = DailyUsage.objects.get(user=user)
    setattr(user, budget, usage.prompt_tokens + usage.completion_tokens)  # all of it spent by that send
    user.save(update_fields=[budget])

    refused = send_with_images(auth_client, chat, upload(b"\x89PNG but not really" * 1000), HTTP_ACCEPT_LANGUAGE="ko")

    assert refused.status_code == 429
    body = refused.json()
    assert (body["limit"], body["remaining"]) == (getattr(user, budget), 0)
    in_words = "오늘 남은 토큰이 없어요" if budget == "daily_tokens" else "이번 달 남은 토큰이 없어요"
    assert body["detail"].startswith(in_words)
    assert len(mock_llm.requests()) == 1


def test_a_failed_send_gives_its_images_back(auth_client, user, mock_llm, settings):
    settings.CHAT_IMAGES_PER_DAY = 1
    chat = ChatBotFactory(user=user)

    failed = send_with_images(auth_client, chat, upload(picture()), content="[[mock:status=500]]")
    assert failed.status_code == 502
    assert not PromptImage.objects.exists()
    assert send_with_images(auth_client, chat, upload(picture())).status_code == 201


def test_a_text_only_model_refuses_images_in_words(auth_client, user, mock_llm, settings):
    settings.OPENAI_VISION_MODELS = ["gpt-4o-mini"]
    chat = ChatBotFactory(user=user, config__model="gpt-4.1-nano")

    response = send_with_images(auth_client, chat, upload(picture()))

    assert response.status_code == 400
    assert "gpt-4.1-nano reads text only" in response.json()["detail"]
    assert mock_llm.requests() == []
    assert not DailyUsage.objects.filter(user=user, used__gt=0).exists()


def test_earlier_turns_images_go_upstream_with_the_history(auth_client, user, mock_llm):
    chat = ChatBotFactory(user=user)
    send_with_images(auth_client, chat, upload(picture(40, 30)), content="First")

    auth_client.post(f"/api/v1/chats/{chat.pk}/messages/", {"content": "And now?"}, format="json")

    messages = mock_llm.last_messages()
    earlier = next(m for m in messages if m["role"] == "user" and isinstance(m["content"], list))
    assert earlier["content"][0] == {"type": "text", "text": "First"}
    assert earlier["content"][1]["image_url"]["url"].startswith("data:image/png;base64,")
    assert messages[-1] == {"role": "user", "content": "And now?"}


def test_images_count_against_the_history_budget(auth_client, user, mock_llm, settings):
    chat = ChatBotFactory(user=user)
    send_with_images(auth_client, chat, upload(picture(1024, 1024)), content="Big picture")
    settings.CHAT_SUMMARY = False
    fixed = chat.config.max_tokens + settings.CHAT_CONTEXT_MARGIN

    # One 1024x1024 image is 765 tokens: with 900 to spare the earlier turn fits, with 700 it does not.
    settings.OPENAI_CONTEXT_WINDOWS = {**settings.OPENAI_CONTEXT_WINDOWS, chat.config.model: fixed + 900}
    auth_client.post(f"/api/v1/chats/{chat.pk}/messages/", {"content": "Next"}, format="json")
    assert len(mock_llm.last_messages()) == 3

    settings.OPENAI_CONTEXT_WINDOWS = {**settings.OPENAI_CONTEXT_WINDOWS, chat.config.model: fixed + 700}
    auth_client.post(f"/api/v1/chats/{chat.pk}/messages/", {"content": "Again"}, format="json")
    assert [m["content"] for m in mock_llm.last_messages()] == ["Next", "Mock reply: Next", "Again"]


def test_regenerating_a_message_with_an_image_sends_the_image_again(auth_client, user, mock_llm):
    chat = ChatBotFactory(user=user)
    prompt = send_with_images(auth_client, chat, upload(picture(40, 30))).json()

    again = auth_client.post(f"/api/v1/chats/{chat.pk}/messages/{prompt['id']}/regenerate/")

    assert again.status_code == 201
    assert again.json()["reply"]["choices"][0]["content"].endswith("I see a 40x30 PNG image.")
    assert again.json()["images"] == prompt["images"]


def test_an_image_without_text_is_a_message(auth_client, user, mock_llm):
    chat = ChatBotFactory(user=user)

    response = send_with_images(auth_client, chat, upload(picture(8, 8, "GIF")), content="")

    assert response.status_code == 201
    assert response.json()["reply"]["choices"][0]["content"] == "Mock reply. I see a 8x8 GIF image."
    assert mock_llm.last_messages()[-1]["content"][0]["type"] == "image_url"


def test_a_multipart_message_without_text_or_images_is_refused(auth_client, user, mock_llm):
    chat = ChatBotFactory(user=user)

    response = auth_client.post(f"/api/v1/chats/{chat.pk}/messages/", {"content": ""}, format="multipart")

    assert response.status_code == 400
    assert response.json() == {"content": ["This field may not be blank."]}


def test_deleting_the_chat_deletes_its_image_files(auth_client, user, mock_llm, django_capture_on_commit_callbacks):
    chat = ChatBotFactory(user=user)
    send_with_images(auth_client, chat, upload(picture()), upload(picture(10, 10)))
    names = list(PromptImage.objects.values_list("file", flat=True))
    assert all(default_storage.exists(name) for name in names)

    with django_capture_on_commit_callbacks(execute=True):
        assert auth_client.delete(f"/api/v1/chats/{chat.pk}/").status_code == 204

    assert not PromptImage.objects.exists()
    assert not any(default_storage.exists(name) for name in names)


def test_the_exports_name_the_images_and_give_their_urls(auth_client, user, mock_llm):
    chat = ChatBotFactory(user=user)
    [image] = send_with_images(auth_client, chat, upload(picture())).json()["images"]

    markdown = auth_client.get(f"/api/v1/chats/{chat.pk}/export/").content.decode()
    exported = json.loads(auth_client.get(f"/api/v1/chats/{chat.pk}/export/?format=json").content)

    assert f"- Image 1: image-{image['id']}.png (image/png, 40x30)" in markdown
    assert exported["prompts"][0]["images"] == [image]


def test_a_data_url_is_checked_like_an_upload_and_nothing_else_is_fetched(settings):
    import base64

    image = image_from_data_url("data:image/jpeg;base64," + base64.b64encode(picture(12, 7)).decode())
    assert (image.media_type, image.width, image.height) == ("image/png", 12, 7)  # the bytes say PNG
    with pytest.raises(ImageRefused):
        image_from_data_url("https://example.com/cat.png")
    with pytest.raises(ImageRefused):
        image_from_data_url("data:image/png;base64," + base64.b64encode(b"plain text").decode())
    settings.CHAT_IMAGE_MAX_BYTES = 100
    with pytest.raises(ImageTooLarge):
        image_from_data_url("data:image/png;base64," + "A" * 1000)


def test_image_tokens_follow_openais_published_examples():
    assert image_tokens(width=1024, height=1024, detail="high") == 765
    assert image_tokens(width=2048, height=4096, detail="high") == 1105
    assert image_tokens(width=4096, height=8192, detail="low") == 85


# --- Against the real server: the body limit of the route, streaming, API keys ----------------------


@pytest.mark.django_db(transaction=True)
def test_a_multipart_send_streams_and_the_route_takes_a_body_past_the_general_limit(api_server):
    user = UserFactory()
    chat = ChatBotFactory(user=user)
    server = api_server(workers=1, REQUEST_BODY_MAX_BYTES="20000")
    big = picture(300, 300, "PNG", compress_level=0)  # about 270 kB: past the general limit
    headers = {"Authorization": f"Bearer {RefreshToken.for_user(user).access_token}", "Accept": "text/event-stream"}

    with httpx.stream(
        "POST",
        f"{server.url}/api/v1/chats/{chat.pk}/messages/",
        data={"content": "Look"},
        files=[("images", ("big.png", big, "image/png"))],
        headers=headers,
        timeout=30,
    ) as response:
        assert response.status_code == 200
        lines = [line for line in response.iter_lines() if line.startswith("data: ")]
    done = json.loads(lines[-1].removeprefix("data: "))
    assert done["reply"]["choices"][0]["content"] == "Mock reply: Look I see a 300x300 PNG image."
    image_url = done["images"][0]["url"]
    assert image_url.startswith(server.url)

    served = httpx.get(image_url, headers={"Authorization": headers["Authorization"]})
    assert served.status_code == 200 and served.headers["content-type"] == "image/png"
    assert Image.open(io.BytesIO(served.content)).size == (300, 300)
    elsewhere = httpx.post(f"{server.url}/api/v1/chats/", content=b"x" * 30000, headers=headers)
    assert elsewhere.status_code == 413


@pytest.mark.django_db(transaction=True)
def test_simultaneous_sends_never_pass_the_daily_image_limit(api_server):
    from concurrent.futures import ThreadPoolExecutor

    user = UserFactory(daily_limit=100)
    chat = ChatBotFactory(user=user)
    server = api_server(workers=2, CHAT_IMAGES_PER_DAY="3", OPENAI_TIMEOUT="20")
    headers = {"Authorization": f"Bearer {RefreshToken.for_user(user).access_token}"}
    png = picture(16, 16)

    def send_one(number: int) -> int:
        return httpx.post(
            f"{server.url}/api/v1/chats/{chat.pk}/messages/",
            data={"content": f"picture {number} [[mock:latency=0.3]]"},
            files=[("images", ("p.png", png, "image/png"))],
            headers=headers,
            timeout=30,
        ).status_code

    with ThreadPoolExecutor(max_workers=8) as pool:
        statuses = list(pool.map(send_one, range(8)))

    assert sorted(statuses) == [201] * 3 + [400] * 5
    assert PromptImage.objects.filter(prompt__chatbot=chat).count() == 3
    assert DailyUsage.objects.get(user=user).images == 3
