"""What passes from one step of a send to the next: the prepared plan, and the stored result."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from chat.gateway import CompletionRequest
from chat.history import History
from chat.images import CheckedImage
from chat.models import Prompt
from chat.quota import Reservation
from chat.quota_status import QuotaStatus

TITLE_LENGTH = 60


@dataclass(frozen=True)
class SendPlan:
    """A prepared send: what goes upstream, where the reply is stored, and its reserved quota."""

    user_id: int
    chat_id: int | None  # None: a new chat is made when the reply is stored (OpenAI-compatible calls)
    content: str  # the user's message, stored as the prompt ("" for a turn that only brings tool results)
    request: CompletionRequest
    reservation: Reservation
    new_chat_config: dict[str, Any] = field(default_factory=dict)
    prompt_id: int | None = None  # a stored prompt answered again (regenerate): the reply is added to it
    # How the request was made from the chat (None: an OpenAI-style call, sent as given), and its
    # tokens as counted, for the estimate's calibration against the upstream's usage.
    history: History | None = None
    counted_tokens: int = 0
    tool_results: list[dict[str, str]] = field(default_factory=list)  # stored with the prompt
    title: str = ""  # a new (or untitled) chat's title; "" takes it from `content`
    response_id: str = ""  # a Responses API call's `resp_...` id, stored on its reply
    images: tuple[CheckedImage, ...] = ()  # sent with `content`, stored with the prompt
    edit_of: int | None = None  # the message `content` is a new version of: stored as its sibling
    may_be_untitled: bool = True  # False: the chat had a title when the send was prepared (store: one UPDATE less)

    @property
    def chat_title(self) -> str:
        return first_line(self.title or self.content)


@dataclass(frozen=True)
class SendResult:
    prompt: Prompt  # with `reply` and `reply.ordered_choices` loaded
    quota: QuotaStatus  # after this send


def first_line(text: str) -> str:
    return text.strip().split("\n", 1)[0][:TITLE_LENGTH]
