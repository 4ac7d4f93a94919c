"""What OpenAI's chat requests carry besides plain text: messages of every role (tool calls and tool
results included), function tools, `tool_choice` and `response_format`, checked strictly.

Each check returns the value as it goes upstream, or raises a ValidationError whose path names the
offending part (`messages.2.tool_call_id`), which the OpenAI-shaped error carries as its `param`.
"""

from __future__ import annotations

import json
import re

from django.conf import settings
from rest_framework import serializers

from chat.images import CheckedImage, image_from_data_url, image_part
from core.errors import ApplicationError
from core.serializer_fields import StrictCharField

ROLES = ("system", "developer", "user", "assistant", "tool")
MAX_TOOLS = 128
MAX_TOOL_CALLS = 64
IMAGE_DETAILS = ("auto", "low", "high")
MAX_IMAGE_URL = 2048
FUNCTION_NAME = re.compile(r"[A-Za-z0-9_-]{1,64}")
# The keys a message of each role may have (OpenAI's request types); any other is refused.
MESSAGE_KEYS = {
    "system": {"role", "content", "name"},
    "developer": {"role", "content", "name"},
    "user": {"role", "content", "name"},
    "assistant": {"role", "content", "name", "tool_calls", "refusal"},
    "tool": {"role", "content", "tool_call_id"},
}


def invalid(path: str, message: str) -> serializers.ValidationError:
    return serializers.ValidationError({path: [message]})


def text(value, path: str, *, max_length: int | None = None) -> str:
    """A string as every free-text field (no NUL, no lone surrogate: they cannot go upstream)."""
    try:
        return StrictCharField(allow_blank=True, trim_whitespace=False, max_length=max_length).run_validation(value)
    except serializers.ValidationError as error:
        raise invalid(path, str(error.detail[0])) from error


class CheckedDataURL(str):
    """A checked image's `data:` URL (its re-encoded copy) that keeps the `CheckedImage` it was made
    from, so storing the turn does not decode it a second time. It is a `str` to everything else."""

    image: CheckedImage

    def __new__(cls, url: str, image: CheckedImage):
        self = super().__new__(cls, url)
        self.image = image
        return self

    def __reduce__(self):  # a copy (copy, deepcopy, pickle) is the plain URL: storing it checks it again
        return (str, (str(self),))


def data_image_count(body) -> int:
    """The `data:` images an OpenAI-style body carries, in any of its messages (`image_url` parts) or
    input items (`input_image` parts), whatever else is wrong with it: counted before any is decoded."""
    count, stack = 0, [body]
    while stack:
        value = stack.pop()
        items = value.items() if isinstance(value, dict) else enumerate(value) if isinstance(value, list) else ()
        for key, item in items:
            if key in ("url", "image_url") and isinstance(item, str) and item.startswith("data:"):
                count += 1
            elif isinstance(item, dict | list):
                stack.append(item)
    return count


def checked_image_part(part: dict, path: str) -> dict:
    """`{"type": "image_url", "image_url": {"url", "detail"}}`: a `data:` URL whose bytes are a real
    image (checked like an upload; what goes upstream is the re-encoded copy, EXIF gone, its type
    what the bytes are), or an `https` URL passed on as given: our server fetches nothing."""
    image = part.get("image_url")
    if set(part) - {"type", "image_url"} or not isinstance(image, dict) or set(image) - {"url", "detail"}:
        raise invalid(path, "Expected {type: 'image_url', image_url: {url, detail}}.")
    if image.get("detail", "auto") not in IMAGE_DETAILS:
        raise invalid(f"{path}.image_url.detail", f"Expected one of: {', '.join(IMAGE_DETAILS)}.")
    url = image.get("url")
    if not isinstance(url, str):
        raise invalid(f"{path}.image_url.url", "Expected a data: URL or an https URL.")
    if url.startswith("data:"):
        try:
            checked = image_from_data_url(url)
        except ApplicationError as error:
            raise invalid(f"{path}.image_url.url", str(error.detail)) from error
        cleaned = image_part(media_type=checked.media_type, data=checked.data)
        cleaned["image_url"]["url"] = CheckedDataURL(cleaned["image_url"]["url"], checked)
        if "detail" in image:
            cleaned["image_url"]["detail"] = image["detail"]
        return cleaned
    if not (url.startswith("https://") and len(url) <= MAX_IMAGE_URL and text(url, f"{path}.image_url.url")):
        raise invalid(
            f"{path}.image_url.url", f"Expected a data: URL or an https URL of at most {MAX_IMAGE_URL} characters."
        )
    return part


def _content(value, path: str, *, images: bool = False):
    """Text, or a non-empty list of text parts (`{"type": "text", "text": ...}`) and, for a user's
    message (`images`), `image_url` parts (at most CHAT_IMAGES_PER_MESSAGE)."""
    if isinstance(value, str):
        return text(value, path)
    if isinstance(value, list) and value:
        pictures = 0
        parts = []
        for number, part in enumerate(value):
            kind = part.get("type") if isinstance(part, dict) else None
            if kind == "image_url" and images:
                pictures += 1
                if pictures > settings.CHAT_IMAGES_PER_MESSAGE:
                    raise invalid(f"{path}.{number}", f"At most {settings.CHAT_IMAGES_PER_MESSAGE} images a message.")
                parts.append(checked_image_part(part, f"{path}.{number}"))
                continue
            if kind != "text" or set(part) - {"type", "text"}:
                allowed = "text and image_url" if images else "text"
                raise invalid(f"{path}.{number}", f"Only {allowed} content parts are supported here.")
            text(part.get("text"), f"{path}.{number}.text")
            parts.append(part)
        return parts
    raise invalid(path, "Expected text, or a list of content parts.")


def content_text(content) -> str:
    if content is None:
        return ""
    if isinstance(content, str):
        return content
    return "".join(part["text"] for part in content if part.get("type") == "text")


def image_urls(content) -> list[str]:
    """The URLs of a checked content's image parts, in order."""
    if not isinstance(content, list):
        return []
    return [part["image_url"]["url"] for part in content if part.get("type") == "image_url"]


def function_name(value, path: str) -> str:
    if not isinstance(value, str) or not FUNCTION_NAME.fullmatch(value):
        raise invalid(path, "Expected a function name: letters, digits, _ and -, at most 64.")
    return value


def tool_calls(value, path: str) -> list[dict]:
    """An assistant message's `tool_calls`: [{id, type: "function", function: {name, arguments}}]."""
    if not isinstance(value, list) or not value or len(value) > MAX_TOOL_CALLS:
        raise invalid(path, f"Expected a list of 1 to {MAX_TOOL_CALLS} tool calls.")
    calls = []
    for number, call in enumerate(value):
        where = f"{path}.{number}"
        if not isinstance(call, dict) or set(call) - {"id", "type", "function"}:
            raise invalid(where, "Expected {id, type: 'function', function: {name, arguments}}.")
        if call.get("type") != "function":
            raise invalid(f"{where}.type", "Only `function` tool calls are supported.")
        function = call.get("function")
        if not isinstance(function, dict) or set(function) - {"name", "arguments"}:
            raise invalid(f"{where}.function", "Expected {name, arguments}.")
        calls.append(
            {
                "id": text(call.get("id"), f"{where}.id", max_length=200),
                "type": "function",
                "function": {
                    "name": function_name(function.get("name"), f"{where}.function.name"),
                    "arguments": text(function.get("arguments"), f"{where}.function.arguments"),
                },
            }
        )
    return calls


def message(value, path: str) -> dict:
    """One chat message, as it goes upstream."""
    if not isinstance(value, dict):
        raise invalid(path, "Expected a message object.")
    role = value.get("role")
    if role not in ROLES:
        raise invalid(f"{path}.role", f"Expected one of: {', '.join(ROLES)}.")
    for key in value:
        if key not in MESSAGE_KEYS[role]:
            raise invalid(f"{path}.{key}", f"Not supported in a `{role}` message.")
    checked: dict = {"role": role}
    if "name" in value:
        checked["name"] = text(value["name"], f"{path}.name", max_length=64)
    if role == "assistant":
        if value.get("tool_calls") is not None:
            checked["tool_calls"] = tool_calls(value["tool_calls"], f"{path}.tool_calls")
        if value.get("content") is None and "tool_calls" not in checked:
            raise invalid(f"{path}.content", "An assistant message needs `content` or `tool_calls`.")
        checked["content"] = None if value.get("content") is None else _content(value["content"], f"{path}.content")
        if value.get("refusal") is not None:
            checked["refusal"] = text(value["refusal"], f"{path}.refusal")
        return checked
    if role == "tool":
        checked["tool_call_id"] = text(value.get("tool_call_id"), f"{path}.tool_call_id", max_length=200)
    if "content" not in value:
        raise invalid(f"{path}.content", "This field is required.")
    checked["content"] = _content(value["content"], f"{path}.content", images=role == "user")
    return checked


def messages(value, path: str = "messages", *, max_messages: int) -> list[dict]:
    if not isinstance(value, list) or not value or len(value) > max_messages:
        raise invalid(path, f"Expected a list of 1 to {max_messages} messages.")
    checked = [message(item, f"{path}.{number}") for number, item in enumerate(value)]
    if not any(item["role"] == "user" for item in checked):
        raise invalid(path, "At least one message must have the role `user`.")
    return checked


def _json_schema(value, path: str) -> dict:
    if not isinstance(value, dict):
        raise invalid(path, "Expected a JSON Schema object.")
    try:
        json.dumps(value)
    except (TypeError, ValueError) as error:
        raise invalid(path, "Expected a JSON Schema object.") from error
    return value


def function_tool(value, path: str, *, flat: bool = False) -> dict:
    """A function tool: chat completions' `{type, function: {name, description, parameters, strict}}`,
    or (`flat`) the Responses API's `{type, name, description, parameters, strict}`; returned in the
    chat completions shape."""
    if not isinstance(value, dict):
        raise invalid(path, "Expected a tool object.")
    if value.get("type") != "function":
        raise invalid(f"{path}.type", "Only `function` tools are supported.")
    where = path if flat else f"{path}.function"
    function = {key: item for key, item in value.items() if key != "type"} if flat else value.get("function")
    if not flat and set(value) - {"type", "function"}:
        raise invalid(path, "Expected {type: 'function', function: {...}}.")
    if not isinstance(function, dict):
        raise invalid(where, "Expected {name, description, parameters, strict}.")
    for key in function:
        if key not in ("name", "description", "parameters", "strict"):
            raise invalid(f"{where}.{key}", "Not supported in a function tool.")
    checked = {"name": function_name(function.get("name"), f"{where}.name")}
    if function.get("description") is not None:
        checked["description"] = text(function["description"], f"{where}.description", max_length=8000)
    if function.get("parameters") is not None:
        checked["parameters"] = _json_schema(function["parameters"], f"{where}.parameters")
    if function.get("strict") is not None:
        if not isinstance(function["strict"], bool):
            raise invalid(f"{where}.strict", "Must be a valid boolean.")
        checked["strict"] = function["strict"]
    return {"type": "function", "function": checked}


def tools(value, path: str = "tools", *, flat: bool = False) -> list[dict]:
    if not isinstance(value, list) or len(value) > MAX_TOOLS:
        raise invalid(path, f"Expected a list of at most {MAX_TOOLS} tools.")
    checked = [function_tool(item, f"{path}.{number}", flat=flat) for number, item in enumerate(value)]
    names = [tool["function"]["name"] for tool in checked]
    if len(set(names)) != len(names):
        raise invalid(path, "Two tools have the same name.")
    return checked


def tool_choice(value, path: str = "tool_choice", *, flat: bool = False):
    """ "none", "auto", "required" or one function (`{type, function: {name}}`; flat: `{type, name}`),
    returned in the chat completions shape."""
    if value in ("none", "auto", "required"):
        return value
    if isinstance(value, dict) and value.get("type") == "function":
        if flat and set(value) == {"type", "name"}:
            return {"type": "function", "function": {"name": function_name(value["name"], f"{path}.name")}}
        function = value.get("function")
        if not flat and set(value) == {"type", "function"} and isinstance(function, dict) and set(function) == {"name"}:
            return {"type": "function", "function": {"name": function_name(function["name"], f"{path}.function.name")}}
    raise invalid(path, "Expected `none`, `auto`, `required` or one function tool.")


def response_format(value, path: str = "response_format") -> dict:
    """`{type: "text"}`, `{type: "json_object"}` or `{type: "json_schema", json_schema: {name, schema, ...}}`."""
    kind = value.get("type") if isinstance(value, dict) else None
    if kind in ("text", "json_object") and set(value) == {"type"}:
        return value
    if kind == "json_schema" and set(value) == {"type", "json_schema"} and isinstance(value["json_schema"], dict):
        schema = value["json_schema"]
        for key in schema:
            if key not in ("name", "description", "schema", "strict"):
                raise invalid(f"{path}.json_schema.{key}", "Not supported in a JSON Schema format.")
        function_name(schema.get("name"), f"{path}.json_schema.name")
        if schema.get("schema") is not None:
            _json_schema(schema["schema"], f"{path}.json_schema.schema")
        return value
    raise invalid(path, "Expected {type: 'text'}, {type: 'json_object'} or {type: 'json_schema', json_schema}.")
