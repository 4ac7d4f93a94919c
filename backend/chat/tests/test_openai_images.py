"""`image_url` parts on the OpenAI-compatible endpoint, driven by the official `openai` SDK against a
real server: data: URLs checked and stored with the turn, https URLs passed on unfetched, a text-only
model refusing in words."""

import base64
import io
import os

import openai
import pytest
from PIL import Image

from chat.models import DailyUsage, Prompt, PromptImage
from chat.tests.openai_support import sdk
from chat.tests.test_images import picture
from conftest import module_api_server

pytestmark = pytest.mark.django_db(transaction=True)
MODEL = "gpt-4o-mini"


# gpt-4o-mini reads images here; gpt-4.1-mini is made text-only to see the refusal.
server = module_api_server(OPENAI_TIMEOUT="5", OPENAI_VISION_MODELS="gpt-4o-mini,gpt-4o", CHAT_IMAGES_PER_DAY="2")


@pytest.fixture
def client(server, key) -> openai.OpenAI:
    return sdk(server, key)


def data_url(data: bytes, media_type="image/png") -> str:
    return f"data:{media_type};base64,{base64.b64encode(data).decode()}"


def asking(*images, text="What is in the picture?") -> list[dict]:
    parts = [{"type": "text", "text": text}]
    parts += [{"type": "image_url", "image_url": {"url": url, "detail": "low"}} for url in images]
    return [{"role": "user", "content": parts}]


def test_a_data_url_image_reaches_the_model_and_is_stored_with_the_turn(client, user):
    answer = client.chat.completions.create(model=MODEL, messages=asking(data_url(picture(40, 30))))

    assert "I see a 40x30 PNG image." in answer.choices[0].message.content
    prompt = Prompt.objects.get(chatbot__user=user)
    assert prompt.content == "What is in the picture?"
    image = PromptImage.objects.get(prompt=prompt)
    assert (image.media_type, image.width, image.height) == ("image/png", 40, 30)
    assert DailyUsage.objects.get(user=user).images == 1


def test_a_jpeg_declared_as_png_is_taken_for_what_its_bytes_are(client, user):
    answer = client.chat.completions.create(
        model=MODEL, messages=asking(data_url(picture(20, 10, "JPEG"), media_type="image/png"))
    )

    assert "I see a 20x10 JPEG image." in answer.choices[0].message.content
    assert PromptImage.objects.get(prompt__chatbot__user=user).media_type == "image/jpeg"


def test_an_https_image_goes_upstream_as_given_and_is_never_fetched(client, user, mock_llm):
    url = "https://images.example/cat.png"
    answer = client.chat.completions.create(model=MODEL, messages=asking(url))

    assert "I cannot fetch https URLs" in answer.choices[0].message.content
    sent = mock_llm.requests()[-1]["body"]["messages"][-1]["content"]
    assert sent[1] == {"type": "image_url", "image_url": {"url": url, "detail": "low"}}
    assert not PromptImage.objects.exists()  # nothing of it is ours to store


@pytest.mark.parametrize(
    ("url", "says"),
    [
        (data_url(b"not an image at all", media_type="image/png"), "not an image"),
        ("http://images.example/cat.png", "https URL"),
        ("file:///etc/passwd", "https URL"),
    ],
)
def test_what_is_not_an_image_is_a_400_naming_the_part(client, user, url, says):
    with pytest.raises(openai.BadRequestError) as refused:
        client.chat.completions.create(model=MODEL, messages=asking(url))

    error = refused.value.body
    assert error["param"] == "messages.0.content.1.image_url.url"
    assert says in error["message"]
    assert not Prompt.objects.exists()
    assert not DailyUsage.objects.filter(user=user, used__gt=0).exists()


def test_a_text_only_model_refuses_images_in_words(client, user):
    with pytest.raises(openai.BadRequestError) as refused:
        client.chat.completions.create(model="gpt-4.1-mini", messages=asking(data_url(picture())))

    assert refused.value.body["param"] == "messages"
    assert "reads text only" in refused.value.body["message"]


def test_image_parts_are_a_users_only(client, user):
    messages = [
        *asking(text="Hi"),
        {"role": "assistant", "content": [{"type": "image_url", "image_url": {"url": data_url(picture())}}]},
        {"role": "user", "content": "And now?"},
    ]
    with pytest.raises(openai.BadRequestError) as refused:
        client.chat.completions.create(model=MODEL, messages=messages)

    assert refused.value.body["param"] == "messages.1.content.0"


def test_the_daily_image_limit_holds_on_this_endpoint_too(client, user):
    client.chat.completions.create(model=MODEL, messages=asking(data_url(picture()), data_url(picture(8, 8))))

    with pytest.raises(openai.BadRequestError) as refused:
        client.chat.completions.create(model=MODEL, messages=asking(data_url(picture())))

    assert "images a day" in refused.value.body["message"]
    assert DailyUsage.objects.get(user=user).used == 1


def test_what_goes_upstream_is_the_checked_copy_not_the_clients_bytes(client, user, mock_llm):
    from PIL import Image

    exif = Image.Exif()
    exif[0x010F] = "Spy camera"  # the camera's maker
    photo = picture(30, 20, "JPEG", exif=exif.tobytes())
    client.chat.completions.create(model=MODEL, messages=asking(data_url(photo, media_type="text/html")))

    sent = mock_llm.requests()[-1]["body"]["messages"][-1]["content"][1]["image_url"]
    assert sent["detail"] == "low"
    assert sent["url"].startswith("data:image/jpeg;base64,")
    assert b"Spy camera" not in base64.b64decode(sent["url"].split(",", 1)[1])
    assert b"Spy camera" in photo


def test_images_of_earlier_messages_count_too_as_they_are_sent_again(client, user):
    # CHAT_IMAGES_PER_DAY is 2 here: two earlier images and a new one are three sent.
    messages = [*asking(data_url(picture()), data_url(picture(8, 8))), {"role": "assistant", "content": "Two."}]
    with pytest.raises(openai.BadRequestError) as refused:
        client.chat.completions.create(model=MODEL, messages=[*messages, *asking(data_url(picture(9, 9)))])

    assert "images a day" in refused.value.body["message"]
    assert not Prompt.objects.exists()


# --- The Responses API: `input_image` parts, checked and stored the same way -----------------------


def responses_input(*images, text="What is in the picture?", **image_fields) -> list[dict]:
    parts = [{"type": "input_text", "text": text}]
    parts += [{"type": "input_image", "image_url": url, "detail": "low", **image_fields} for url in images]
    return [{"role": "user", "content": parts}]


def test_an_input_image_reaches_the_model_through_the_responses_api_and_is_stored_with_the_turn(client, user, mock_llm):
    answer = client.responses.create(model=MODEL, input=responses_input(data_url(picture(40, 30))))

    assert "I see a 40x30 PNG image." in answer.output_text
    sent = mock_llm.requests()[-1]["body"]["messages"][-1]["content"]
    assert sent[0] == {"type": "text", "text": "What is in the picture?"}
    assert sent[1]["type"] == "image_url" and sent[1]["image_url"]["detail"] == "low"
    assert sent[1]["image_url"]["url"].startswith("data:image/png;base64,")
    prompt = Prompt.objects.get(chatbot__user=user)
    assert prompt.content == "What is in the picture?"
    image = PromptImage.objects.get(prompt=prompt)
    assert (image.media_type, image.width, image.height) == ("image/png", 40, 30)
    assert DailyUsage.objects.get(user=user).images == 1


def test_an_https_input_image_goes_upstream_as_given(client, user, mock_llm):
    url = "https://images.example/cat.png"
    client.responses.create(model=MODEL, input=responses_input(url))

    sent = mock_llm.requests()[-1]["body"]["messages"][-1]["content"]
    assert sent[1] == {"type": "image_url", "image_url": {"url": url, "detail": "low"}}
    assert not PromptImage.objects.exists()


@pytest.mark.parametrize(
    ("input_", "param", "says"),
    [
        (responses_input(data_url(b"not an image at all")), "input.0.content.1.image_url", "not an image"),
        (responses_input("http://images.example/cat.png"), "input.0.content.1.image_url", "https URL"),
        (responses_input("https://images.example/cat.png", file_id="file-1"), "input.0.content.1.file_id", "Files"),
        (responses_input("https://images.example/cat.png", mask="x"), "input.0.content.1.mask", "Not supported"),
        (
            [{"role": "assistant", "content": [{"type": "input_image", "image_url": "https://images.example/a.png"}]}],
            "input.0.content.0.type",
            "input_text",
        ),
    ],
    ids=["not an image", "http", "file_id", "unknown field", "an assistant's"],
)
def test_an_input_image_we_cannot_take_is_a_400_naming_it(client, user, input_, param, says):
    with pytest.raises(openai.BadRequestError) as refused:
        client.responses.create(model=MODEL, input=input_)

    error = refused.value.body
    assert error["param"] == param
    assert says in error["message"]
    assert not Prompt.objects.exists()


def test_a_text_only_model_refuses_input_images_in_words(client, user):
    with pytest.raises(openai.BadRequestError) as refused:
        client.responses.create(model="gpt-4.1-mini", input=responses_input("https://images.example/cat.png"))

    assert "reads text only" in refused.value.body["message"]


@pytest.mark.parametrize("past", ["count", "images", "tokens"])
def test_past_a_limit_a_body_is_refused_before_its_images_are_decoded(client, user, past):
    from accounts.models import User

    if past == "count":
        User.objects.filter(pk=user.pk).update(daily_limit=0)
    if past == "tokens":
        User.objects.filter(pk=user.pk).update(monthly_tokens=0)
    not_an_image = data_url(b"\x89PNG but not really")  # decoding it would answer a 400 naming the part
    images = [not_an_image] * (3 if past == "images" else 1)  # the server takes 2 a day

    refusal = openai.BadRequestError if past == "images" else openai.RateLimitError
    with pytest.raises(refusal) as completions:
        client.chat.completions.create(model=MODEL, messages=asking(*images))
    with pytest.raises(refusal) as responses:
        client.responses.create(
            model=MODEL,
            input=[{"role": "user", "content": [{"type": "input_image", "image_url": url} for url in images]}],
        )

    says = {
        "count": "completions for today",
        "images": "2 images a day and have 2 left",
        "tokens": "no tokens left of your 0 for this month",
    }[past]
    assert says in completions.value.body["message"]
    assert says in responses.value.body["message"]
    assert not Prompt.objects.exists()


def test_data_image_count_counts_the_data_images_of_either_wire_shape():
    from chat.openai_compatible.messages import data_image_count

    url = "data:image/png;base64,AAAA"
    chat = {"messages": [{"role": "user", "content": [{"type": "image_url", "image_url": {"url": url}}]}] * 2}
    responses = {"input": [{"content": [{"type": "input_image", "image_url": url}, {"type": "input_text"}]}]}
    https = {"messages": [{"content": [{"type": "image_url", "image_url": {"url": "https://example.com/a.png"}}]}]}
    assert (data_image_count(chat), data_image_count(responses), data_image_count(https)) == (2, 1, 0)
    assert data_image_count("not a body") == data_image_count([None, 3]) == 0


def test_an_image_of_a_few_megabytes_is_taken_as_the_route_allows(client, user):
    noise = Image.frombytes("RGB", (1000, 800), os.urandom(1000 * 800 * 3))  # incompressible: ~2.4 MB of PNG
    output = io.BytesIO()
    noise.save(output, "PNG")
    assert output.tell() > 2 * 1024 * 1024  # past Django's default body limit, within the route's

    completion = client.chat.completions.create(model=MODEL, messages=asking(data_url(output.getvalue())))

    assert "I see a 1000x800 PNG image" in completion.choices[0].message.content


def test_a_checked_image_is_stored_from_its_check_not_decoded_again():
    from chat.openai_compatible.messages import checked_image_part
    from chat.openai_compatible.views import stored_turn

    part = checked_image_part({"type": "image_url", "image_url": {"url": data_url(picture(40, 30))}}, "messages.0")
    turn = stored_turn([{"role": "user", "content": [{"type": "text", "text": "What?"}, part]}])

    (image,) = turn["images"]
    assert image is part["image_url"]["url"].image  # the check's own result
    assert (image.width, image.height, image.media_type) == (40, 30, "image/png")
    assert part["image_url"]["url"] == f"data:image/png;base64,{base64.b64encode(image.data).decode()}"


def test_a_copy_of_a_checked_data_url_is_the_plain_url():
    import copy
    import pickle

    from chat.openai_compatible.messages import checked_image_part

    part = checked_image_part({"type": "image_url", "image_url": {"url": data_url(picture(4, 3))}}, "messages.0")
    url = part["image_url"]["url"]
    for copied in (copy.copy(url), copy.deepcopy(part)["image_url"]["url"], pickle.loads(pickle.dumps(url))):  # noqa: S301 - our own bytes
        assert type(copied) is str and copied == url
