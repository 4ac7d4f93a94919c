"""Application errors of the chat. They speak the domain, not HTTP: `config.exceptions` maps each
to its HTTP answer, once, for the JSON answers, the event streams and the OpenAI-compatible API."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from chat.quota import QuotaStatus


class ChatError(Exception):
    """Base of the chat's application errors."""

    default_detail = "The request could not be completed."

    def __init__(self, detail: str | None = None):
        self.detail = detail or self.default_detail
        super().__init__(self.detail)


class ChatNotFound(ChatError):
    """No chat of this user has this id (other users' chats do not exist for them)."""

    default_detail = "Not found."


class ChatDeletedMidAnswer(ChatNotFound):
    """The chat was deleted while the model was answering; the reply could not be stored."""

    default_detail = "This chat was deleted while the model was answering; the reply was not stored."


class PromptNotFound(ChatNotFound):
    """The chat has no message with this id."""


class PromptNotRegenerable(ChatError):
    """Only the newest message of a chat can be answered again."""

    default_detail = "Only the last message of a chat can be answered again."


class ChatLimitReached(ChatError):
    """The user has as many chats as one user may keep."""


class QuotaExceeded(ChatError):
    """No completion left today."""

    def __init__(self, status: QuotaStatus):
        super().__init__(
            f"You have used all {status.limit} completions for today. "
            f"The limit resets at {status.resets_at.isoformat()}."
        )
        self.status = status


class UpstreamError(ChatError):
    """The model's server failed or refused the request."""

    default_detail = "The language model service failed to answer. Please try again."


class UpstreamBusy(UpstreamError):
    """The model's server is rate limiting us."""

    default_detail = "The language model service is busy. Please try again shortly."

    def __init__(self, detail: str | None = None, *, retry_after: int = 10):
        super().__init__(detail)
        self.retry_after = retry_after


class UpstreamTimeout(UpstreamError):
    """No answer within OPENAI_TIMEOUT."""

    default_detail = "The language model service did not answer in time. Please try again."
