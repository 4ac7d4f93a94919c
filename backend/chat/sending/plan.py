"""What passes from one step of a send to the next: the prepared plan, and the stored result."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from chat.gateway import CompletionRequest
from chat.images import CheckedImage
from chat.models import Prompt
from chat.quota import QuotaStatus, Reservation

TITLE_LENGTH = 60


@dataclass(frozen=True)
class SendPlan:
    """A prepared send: what goes upstream, where the reply is stored, and its reserved quota."""

    user_id: int
    chat_id: int | None  # None: a new chat is made when the reply is stored (OpenAI-compatible calls)
    content: str  # the user's message, stored as the prompt
    request: CompletionRequest
    reservation: Reservation
    new_chat_config: dict[str, Any] = field(default_factory=dict)
    prompt_id: int | None = None  # a stored prompt answered again (regenerate): the reply is added to it
    images: tuple[CheckedImage, ...] = ()  # sent with `content`, stored with the prompt


@dataclass(frozen=True)
class SendResult:
    prompt: Prompt  # with `reply` and `reply.ordered_choices` loaded
    quota: QuotaStatus  # after this send


def first_line(text: str) -> str:
    return text.strip().split("\n", 1)[0][:TITLE_LENGTH]
