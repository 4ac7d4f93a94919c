"""Application errors of the chat, each with its HTTP answer (`core.errors`); the quota's own
refusals, `QuotaExceeded` and the like, live in `chat.refusals`."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from core.errors import ApplicationError, NotFound


class ChatError(ApplicationError):
    """A refused chat operation (400 with `detail`)."""


class ChatNotFound(NotFound):
    """No chat of this user has this id (other users' chats do not exist for them)."""

    code = "chat_not_found"


class ResponseNotFound(NotFound):
    """No response made through the Responses API by this user has this id."""

    code = "response_not_found"


class ChatDeletedMidAnswer(ChatNotFound):
    """The chat was deleted while the model was answering; the reply could not be stored."""

    default_detail = _("This chat was deleted while the model was answering; the reply was not stored.")


class PromptNotFound(ChatNotFound):
    """The chat has no message with this id."""

    code = "prompt_not_found"


class ImageNotFound(ChatNotFound):
    """No chat of this user has an image with this id."""

    code = "image_not_found"


class PromptNotRegenerable(ChatError):
    """Only the newest message of a chat's current branch can be answered again."""

    default_detail = _("Only the last message of a chat can be answered again.")


class PromptNotEditable(ChatError):
    """A turn that only brought tool results (an API client's tool loop) has no text to edit."""

    default_detail = _("A turn of tool results cannot be edited: only the client that ran the tools can answer it.")


class CursorNotFound(ChatError):
    """A page's cursor that names no message of the chat."""

    default_detail = _("Not a cursor of this chat.")


class ChatLimitReached(ChatError):
    """The user has as many chats as one user may keep."""


class UpstreamError(ApplicationError):
    """The model's server failed or refused the request."""

    status, code = 502, "upstream_error"
    default_detail = _("The language model service failed to answer. Please try again.")
    # True when the model cannot have generated anything: the connection was never made, or the
    # server answered with an error status. A timeout or a dropped answer may have cost tokens.
    nothing_generated = False

    def refused(self) -> UpstreamError:
        """This error, marked as one before the model generated anything."""
        self.nothing_generated = True
        return self


class UpstreamBusy(UpstreamError):
    """The model's server is rate limiting us."""

    status, code = 503, "upstream_busy"
    default_detail = _("The language model service is busy. Please try again shortly.")
    retry_after = 10


class UpstreamTimeout(UpstreamError):
    """No answer within OPENAI_TIMEOUT."""

    status, code = 504, "upstream_timeout"
    default_detail = _("The language model service did not answer in time. Please try again.")


class ImageRefused(ChatError):
    """An uploaded file is not an image we take (not an image at all, an unsupported type, too many pixels)."""

    code = "invalid_image"


class ImageTooLarge(ImageRefused):
    """An uploaded image has more bytes than CHAT_IMAGE_MAX_BYTES."""

    status, code = 413, "image_too_large"


class ImagesNotSupported(ChatError):
    """The chat's model reads text only (it is not one of OPENAI_VISION_MODELS)."""

    code = "images_not_supported"


class ImageLimitReached(ChatError):
    """The user has sent as many images today as CHAT_IMAGES_PER_DAY allows."""

    code = "image_limit_reached"
