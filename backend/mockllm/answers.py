"""What the mock answers, deterministically, for OpenAI's request fields past plain text.

- `tools` (and `tool_choice` not "none") with a last message from the user: the model calls tools.
  A `tool_choice` naming one function calls that one; otherwise every offered function is called,
  once each, in order (only the first with `parallel_tool_calls: false`). Arguments follow each
  function's `parameters` schema: strings are the user's message, numbers 1, booleans true.
- A last message from a tool (a tool loop's follow-up): "Mock reply: tool results: ..." with each
  result's content, so a test sees the results reached the model.
- `response_format` `json_schema`: a JSON object following the schema (as for arguments);
  `json_object`: the user's message itself when it is a JSON object, else `{"reply": <echo>}`.
- `n`: that many choices; choice 0 is the usual reply, choice i adds " [choice i+1]".
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field, replace


@dataclass
class MockChoice:
    content: str | None
    tool_calls: list[dict] = field(default_factory=list)
    cut: bool = False  # stopped at max_tokens

    @property
    def finish_reason(self) -> str:
        if self.cut:
            return "length"
        return "tool_calls" if self.tool_calls else "stop"


def within_max_tokens(choice: MockChoice, max_tokens) -> MockChoice:
    """The choice cut at `max_tokens` words, as OpenAI cuts at max_tokens with finish_reason "length"."""
    if choice.content is None or not isinstance(max_tokens, int) or isinstance(max_tokens, bool) or max_tokens < 1:
        return choice
    words = re.findall(r"\S+\s*", choice.content)
    if len(words) <= max_tokens:
        return choice
    return replace(choice, content="".join(words[:max_tokens]).rstrip(), cut=True)


def _resolve(schema: dict, root: dict) -> dict:
    reference = schema.get("$ref")
    if isinstance(reference, str) and reference.startswith("#/"):
        target = root
        for part in reference[2:].split("/"):
            target = target.get(part, {}) if isinstance(target, dict) else {}
        return _resolve(target, root) if isinstance(target, dict) else {}
    for combined in ("anyOf", "oneOf", "allOf"):
        options = [option for option in schema.get(combined) or () if option.get("type") != "null"]
        if options:
            return _resolve(options[0], root)
    return schema


def example(schema: dict, text: str, root: dict | None = None, depth: int = 0):
    """A value that validates against a (simple) JSON Schema: what the mock's model "writes"."""
    root = root if root is not None else schema
    schema = _resolve(schema if isinstance(schema, dict) else {}, root)
    if "const" in schema:
        return schema["const"]
    if schema.get("enum"):
        return schema["enum"][0]
    kind = schema.get("type")
    if isinstance(kind, list):
        kind = next((k for k in kind if k != "null"), "null")
    if kind is None:
        kind = "object" if "properties" in schema else "string"
    if kind == "object":
        if depth > 5:
            return {}
        properties = schema.get("properties") or {}
        return {name: example(value, text, root, depth + 1) for name, value in properties.items()}
    if kind == "array":
        return [example(schema.get("items") or {}, text, root, depth + 1)] if depth <= 5 else []
    return {"string": text, "integer": 1, "number": 1, "boolean": True, "null": None}.get(kind, text)


def _tool_calls(body: dict, text: str, seed: str) -> list[dict]:
    tools = [tool for tool in body.get("tools") or () if tool.get("type") == "function"]
    choice = body.get("tool_choice", "auto")
    if not tools or choice == "none":
        return []
    if isinstance(choice, dict):
        tools = [tool for tool in tools if tool["function"]["name"] == choice.get("function", {}).get("name")]
    elif body.get("parallel_tool_calls") is False:
        tools = tools[:1]
    return [
        {
            "id": f"call_{seed}_{number}",
            "type": "function",
            "function": {
                "name": tool["function"]["name"],
                "arguments": json.dumps(example(tool["function"].get("parameters") or {}, text)),
            },
        }
        for number, tool in enumerate(tools)
    ]


def _formatted(body: dict, text: str, echo: str) -> str | None:
    response_format = body.get("response_format") or {}
    if response_format.get("type") == "json_schema":
        schema = (response_format.get("json_schema") or {}).get("schema") or {}
        return json.dumps(example(schema, text))
    if response_format.get("type") == "json_object":
        try:
            given = json.loads(text)
        except ValueError:
            given = None
        return json.dumps(given if isinstance(given, dict) else {"reply": echo})
    return None


def choices(body: dict, *, text: str, echo: str, seed: str) -> list[MockChoice]:
    """The mock model's choices for this request: `text` is the user's last message (directives
    removed), `echo` the usual reply."""
    messages = [m for m in body.get("messages") or () if isinstance(m, dict)]
    last_role = messages[-1].get("role") if messages else None
    n = body.get("n") or 1
    n = n if isinstance(n, int) and 1 <= n <= 16 else 1
    if last_role == "tool":
        results = [m for m in messages[_after_last_assistant(messages) :] if m.get("role") == "tool"]
        first = MockChoice("Mock reply: tool results: " + "; ".join(str(m.get("content")) for m in results))
    elif calls := _tool_calls(body, text, seed):
        first = MockChoice(None, calls)
    else:
        first = MockChoice(_formatted(body, text, echo) or echo)
    others = [
        MockChoice(None if first.content is None else f"{first.content} [choice {number + 1}]", first.tool_calls)
        for number in range(1, n)
    ]
    return [first, *others]


def _after_last_assistant(messages: list[dict]) -> int:
    return max((n for n, m in enumerate(messages) if m.get("role") == "assistant"), default=-1) + 1


def message(choice: MockChoice) -> dict:
    body = {"role": "assistant", "content": choice.content, "refusal": None}
    if choice.tool_calls:
        body["tool_calls"] = choice.tool_calls
    return body


def stream_deltas(choice: MockChoice, pieces) -> list[dict]:
    """The `delta`s of one choice after its role chunk: text pieces, or each tool call as OpenAI
    streams it (index, id, type and name first with empty arguments, then the arguments in pieces)."""
    if not choice.tool_calls:
        return [{"content": piece} for piece in pieces(choice.content or "")]
    deltas = []
    for number, call in enumerate(choice.tool_calls):
        head = {"index": number, "id": call["id"], "type": "function"}
        deltas.append({"tool_calls": [{**head, "function": {"name": call["function"]["name"], "arguments": ""}}]})
        arguments = call["function"]["arguments"]
        third = max(1, len(arguments) // 3)
        for start in range(0, len(arguments), third):
            piece = {"index": number, "function": {"arguments": arguments[start : start + third]}}
            deltas.append({"tool_calls": [piece]})
    return deltas
