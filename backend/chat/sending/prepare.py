"""Step 1 of a send: one short database unit that runs the API's checks, checks ownership, reserves
quota and builds the upstream request. Nothing here waits on the model."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

from chat.exceptions import ChatNotFound, PromptNotFound, PromptNotRegenerable
from chat.gateway import CompletionRequest
from chat.history import upstream_messages
from chat.images import CheckedImage, checked_image_parts, ensure_model_reads_images, stored_image_parts
from chat.models import ChatBot, Prompt, PromptImage, PromptKind
from chat.quota import QuotaExceeded, QuotaStatus, quota_release, quota_reserve, quota_status_for
from chat.sending.plan import SendPlan
from chat.sending.store import release_quietly
from chat.services import config_for_a_call, ensure_room_for_a_chat
from core.database import run_db


def _owned_chat(user, chat_id: int) -> ChatBot:
    chat = ChatBot.objects.owned_by(user).select_related("config").filter(pk=chat_id).first()
    if chat is None:
        raise ChatNotFound()
    return chat


def _reserved_plan(
    *, user, chat: ChatBot, content: str, prompt_id: int | None = None, images: tuple[CheckedImage, ...] = ()
) -> SendPlan:
    """Reserve a completion and build the chat's request for `content` (with its new `images`, or a
    regenerated prompt's stored ones); the reservation is given back if building fails.
    `prompt_id`: a stored prompt answered again (it is not history then)."""
    stored = list(PromptImage.objects.filter(prompt_id=prompt_id)) if prompt_id is not None else []
    if images or stored:
        ensure_model_reads_images(chat.config.model)
    reservation = quota_reserve(user=user, images=len(images))
    try:
        config = chat.config
        image_parts = checked_image_parts(images) if images else stored_image_parts(stored)
        request = CompletionRequest(
            model=config.model,
            messages=upstream_messages(chat=chat, content=content, answering=prompt_id, image_parts=image_parts),
            temperature=float(config.temperature),
            max_tokens=config.max_tokens,
        )
    except BaseException:
        quota_release(reservation=reservation)
        raise
    return SendPlan(
        user_id=user.pk,
        chat_id=chat.pk,
        content=content,
        request=request,
        reservation=reservation,
        prompt_id=prompt_id,
        images=images,
    )


def send_prepare(*, user, chat_id: int, content: str, images: tuple[CheckedImage, ...] = ()) -> SendPlan:
    """Check the chat is the user's, reserve a completion and build the request (QuotaExceeded,
    ChatNotFound; with `images`: ImagesNotSupported for a text-only model, ImageLimitReached)."""
    return _reserved_plan(user=user, chat=_owned_chat(user, chat_id), content=content, images=images)


def regenerate_prepare(*, user, chat_id: int, prompt_id: int) -> SendPlan:
    """Ask again for the chat's last message, with the history before it (ChatNotFound, PromptNotFound,
    PromptNotRegenerable, QuotaExceeded). It costs a completion like any send."""
    chat = _owned_chat(user, chat_id)
    messages = Prompt.objects.filter(chatbot=chat, kind=PromptKind.MESSAGE)
    prompt = messages.filter(pk=prompt_id).first()
    if prompt is None:
        raise PromptNotFound()
    if messages.order_by("-created_at", "-id").values_list("pk", flat=True).first() != prompt.pk:
        raise PromptNotRegenerable()
    return _reserved_plan(user=user, chat=chat, content=prompt.content, prompt_id=prompt.pk)


def completion_prepare(
    *,
    user,
    request: CompletionRequest,
    content: str,
    chat_id: int | None = None,
    stream: bool = False,
) -> SendPlan:
    """An OpenAI-style call: `request.messages` go upstream as given; `content` (the last user
    message) and the reply are stored in chat `chat_id` (the user's, else ChatNotFound) or in a new chat."""
    if chat_id is not None and not ChatBot.objects.owned_by(user).filter(pk=chat_id).exists():
        raise ChatNotFound()
    if chat_id is None:
        ensure_room_for_a_chat(user_id=user.pk)  # again, exactly, when the chat is made (sending.store)
    new_chat_config = config_for_a_call(request=request, stream=stream) if chat_id is None else {}
    return SendPlan(
        user_id=user.pk,
        chat_id=chat_id,
        content=content,
        request=request,
        reservation=quota_reserve(user=user),  # last: nothing after it can fail and leave it held
        new_chat_config=new_chat_config,
    )


class SendAttempt:
    """One request's try at a send, as an API view drives it.

    `prepare` runs the view's checks (`authorize`: DRF's authentication, permissions and throttles)
    and the plan's building (`build`) as one unit on the database pool; a client gone meanwhile
    gets its reservation back. `quota_after` is where the caller stands once the answer is known,
    for the `X-RateLimit-*` headers of every answer, refusals included.
    """

    def __init__(self) -> None:
        self.user = None
        self.plan: SendPlan | None = None

    async def prepare(self, *, authorize: Callable[[], Any], build: Callable[[Any], SendPlan]) -> SendPlan:
        def unit() -> SendPlan:
            self.user = authorize()
            return build(self.user)

        running = asyncio.ensure_future(run_db(unit))
        try:
            self.plan = await asyncio.shield(running)
        except asyncio.CancelledError:
            await asyncio.wait([running])
            if not running.cancelled() and running.exception() is None:
                await release_quietly(running.result().reservation)
            raise
        return self.plan

    async def quota_after(self, error: BaseException | None) -> QuotaStatus | None:
        """None when the caller is unknown (refused before authentication)."""
        if isinstance(error, QuotaExceeded):
            return error.quota
        if self.plan is not None:  # a failed send gave its unit back
            status = self.plan.reservation.status
            return status if error is None else status.with_released()
        if self.user:  # refused before reserving
            return await run_db(quota_status_for, self.user)
        return None
