"""Step 1 of a send: one short database unit that runs the API's checks, checks ownership, reserves
quota and builds the upstream request. Nothing here waits on the model."""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.utils.translation import gettext as _

from chat.allowances import Allowance, allowance_for, prompt_tokens_estimate, service_ceilings
from chat.exceptions import ChatNotFound, ImagesNotSupported, PromptNotEditable, PromptNotFound, PromptNotRegenerable
from chat.gateway import CompletionRequest
from chat.history import build_history
from chat.images import (
    CheckedImage,
    checked_image_parts,
    ensure_model_reads_images,
    kept_image,
    stored_image_parts,
)
from chat.models import ChatBot, Prompt, PromptImage, PromptKind
from chat.quota import Reservation, quota_reserve
from chat.quota_status import QuotaStatus, quota_status_for
from chat.refusals import AllowanceRefused
from chat.selectors import chat_asking_for_tools, chat_for_send
from chat.sending.plan import SendPlan
from chat.sending.store import release_quietly
from chat.services import config_for_a_call, ensure_room_for_a_chat
from core.database import run_db


def _owned_chat(user, chat_id: int) -> ChatBot:
    chat = chat_for_send(user, chat_id)
    if chat is None:
        raise ChatNotFound()
    return chat


def worst_case(request: CompletionRequest, allowance: Allowance) -> tuple[CompletionRequest, int]:
    """The request as it goes upstream, and the most tokens it can cost: the prompt, estimated, plus
    what the model may answer. A call that sets no bound gets CHAT_MAX_TOKENS_CAP when a token
    budget applies, so its worst case is known."""
    bound = request.max_tokens or request.extra.get("max_completion_tokens")
    budgeted = allowance.limits_tokens or any(ceiling is not None for ceiling in service_ceilings().values())
    if bound is None:
        bound = settings.CHAT_MAX_TOKENS_CAP
        if budgeted:
            request = dataclasses.replace(request, max_tokens=bound)
    choices = request.extra.get("n") or 1
    return request, prompt_tokens_estimate(request.messages, request.extra) + int(bound) * int(choices)


def _reserve(*, user, request: CompletionRequest, images: int = 0) -> tuple[CompletionRequest, Reservation]:
    allowance = allowance_for(user)
    request, tokens = worst_case(request, allowance)
    reservation = quota_reserve(user=user, tokens=tokens, model=request.model, allowance=allowance, images=images)
    return request, reservation


def _reserved_plan(
    *,
    user,
    chat: ChatBot,
    content: str,
    prompt_id: int | None = None,
    images: tuple[CheckedImage, ...] = (),
    edit_of: Prompt | None = None,
) -> SendPlan:
    """Build the chat's request for `content` (with its new `images`, or a regenerated prompt's stored
    ones) and reserve a completion for it. `prompt_id`: a stored prompt answered again (it is not
    history then). `edit_of`: the message `content` is a new version of (the history is its branch
    up to it); the new version carries the old one's images, stored again as its own (like a
    regenerated prompt's, they were counted in the day's images when first sent)."""
    config = chat.config
    stored = list(PromptImage.objects.filter(prompt_id=prompt_id)) if prompt_id is not None else []
    old_images = list(PromptImage.objects.filter(prompt=edit_of).order_by("position", "id")) if edit_of else []
    if old_images and config.model not in settings.OPENAI_VISION_MODELS:
        raise ImagesNotSupported(
            _(
                "This message has images and the model %(model)s reads text only; choose one that reads images "
                "to edit it."
            )
            % {"model": config.model}
        )
    if images or stored:
        ensure_model_reads_images(config.model)
    try:  # the stored images' bytes: the kept ones', a regenerated prompt's, the history's
        kept = tuple(kept_image(image) for image in old_images)
        history = build_history(
            chat=chat,
            content=content,
            answering=prompt_id,
            **({"after": edit_of.parent_id} if edit_of is not None else {}),
            images=images or kept or tuple(stored),
            image_parts=checked_image_parts(images or kept) if images or kept else stored_image_parts(stored),
        )
    except FileNotFoundError as gone:  # the chat's files go as it is deleted, right now
        raise ChatNotFound() from gone
    request = CompletionRequest(
        model=config.model,
        messages=history.messages(),
        temperature=float(config.temperature),
        max_tokens=config.max_tokens,
    )
    request, reservation = _reserve(user=user, request=request, images=len(images))  # last: nothing after it can fail
    return SendPlan(
        user_id=user.pk,
        chat_id=chat.pk,
        content=content,
        request=request,
        reservation=reservation,
        prompt_id=prompt_id,
        history=history,
        counted_tokens=history.counted_tokens(),
        images=images or kept,
        edit_of=edit_of.pk if edit_of is not None else None,
        may_be_untitled=not chat.title,
    )


def send_prepare(*, user, chat_id: int, content: str, images: tuple[CheckedImage, ...] = ()) -> SendPlan:
    """Check the chat is the user's, reserve a completion and build the request (QuotaExceeded,
    ChatNotFound; with `images`: ImagesNotSupported for a text-only model, ImageLimitReached)."""
    return _reserved_plan(user=user, chat=_owned_chat(user, chat_id), content=content, images=images)


def regenerate_prepare(*, user, chat_id: int, prompt_id: int) -> SendPlan:
    """Ask again for the last message of the chat's current branch, with the history before it
    (ChatNotFound, PromptNotFound, PromptNotRegenerable, QuotaExceeded). It costs a completion like any send."""
    chat = _owned_chat(user, chat_id)
    prompt = _owned_message(chat, prompt_id)
    if prompt.pk != chat.current_prompt_id:
        raise PromptNotRegenerable()
    if prompt.tool_results:  # the tools are the API client's: only it can answer this turn again
        raise PromptNotRegenerable(_("A turn of tool results is answered again by the client that ran the tools."))
    return _reserved_plan(user=user, chat=chat, content=prompt.content, prompt_id=prompt.pk)


def edit_prepare(*, user, chat_id: int, prompt_id: int, content: str) -> SendPlan:
    """A new version of one of the chat's messages, `content` with the old version's images, sent with
    the history of its branch before it (ChatNotFound, PromptNotFound, PromptNotEditable,
    QuotaExceeded; ImagesNotSupported if it has images and the chat's model now reads text only).
    Stored as a sibling of the message, it becomes the current branch; what followed the old version
    stays on its own."""
    chat = _owned_chat(user, chat_id)
    prompt = _owned_message(chat, prompt_id)
    if prompt.tool_results:
        raise PromptNotEditable()
    return _reserved_plan(user=user, chat=chat, content=content, edit_of=prompt)


def _owned_message(chat: ChatBot, prompt_id: int) -> Prompt:
    prompt = Prompt.objects.filter(chatbot=chat, kind=PromptKind.MESSAGE, pk=prompt_id).first()
    if prompt is None:
        raise PromptNotFound()
    return prompt


def completion_prepare(
    *,
    user,
    request: CompletionRequest,
    content: str,
    chat_id: int | None = None,
    stream: bool = False,
    tool_results: list[dict[str, str]] | None = None,
    title: str = "",
    response_id: str = "",
    images: tuple[CheckedImage, ...] = (),
    images_sent: int | None = None,
) -> SendPlan:
    """An OpenAI-style call: `request.messages` go upstream as given; `content` (the user's new
    message, "" for a turn of tool results only), `tool_results` and the reply are stored in chat
    `chat_id` (the user's, else ChatNotFound); without one, in the chat whose reply asked for those
    tool calls (a tool loop stays in one chat), else in a new chat titled from `title`."""
    tool_results = tool_results or []
    if chat_id is not None and not ChatBot.objects.owned_by(user).filter(pk=chat_id).exists():
        raise ChatNotFound()
    if chat_id is None and tool_results:
        chat_id = chat_asking_for_tools(user=user, call_ids={result["tool_call_id"] for result in tool_results})
    if chat_id is None:
        ensure_room_for_a_chat(user_id=user.pk)  # again, exactly, when the chat is made (sending.store)
    new_chat_config = config_for_a_call(request=request, stream=stream) if chat_id is None else {}
    # last: nothing after it can fail
    sent = len(images) if images_sent is None else images_sent  # the images the request carries
    request, reservation = _reserve(user=user, request=request, images=sent)
    return SendPlan(
        user_id=user.pk,
        chat_id=chat_id,
        content=content,
        request=request,
        reservation=reservation,
        new_chat_config=new_chat_config,
        tool_results=tool_results,
        title=title,
        response_id=response_id,
        images=images,
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
        if isinstance(error, AllowanceRefused):
            return error.quota
        if self.plan is not None:  # a failed send gave its unit back
            status = self.plan.reservation.status
            return status if error is None else status.with_released()
        if self.user:  # refused before reserving
            return await run_db(quota_status_for, self.user)
        return None
