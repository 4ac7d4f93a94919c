"""Images sent with a message: checked and re-encoded, stored once, turned into upstream content parts.

The one place that decides what an image is (whatever the upload path: the REST send's multipart
files, an OpenAI-style `data:` URL): Pillow opens and verifies the bytes, the type is what the bytes
say (JPEG, PNG, GIF or WEBP), the image is re-encoded without its metadata (EXIF, XMP, text
chunks; a photo's orientation is applied first), and only the re-encoded bytes are kept and sent on.
Files go through Django's storage API (`STORAGES["default"]`) under random names, and are deleted
once the transaction that deletes their rows (or their chat) commits.
"""

from __future__ import annotations

import base64
import binascii
import io
import math
import re
import secrets
from collections.abc import Iterable
from dataclasses import dataclass
from functools import partial

from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import transaction
from django.db.models.signals import post_delete
from django.dispatch import receiver
from django.utils.translation import gettext as _
from PIL import Image, ImageOps

from chat.exceptions import ImageRefused, ImagesNotSupported, ImageTooLarge
from chat.models import PromptImage

# Pillow's format name: (media type, file extension). GIFs keep their first frame only (OpenAI reads
# non-animated GIFs).
FORMATS = {
    "JPEG": ("image/jpeg", "jpg"),
    "PNG": ("image/png", "png"),
    "GIF": ("image/gif", "gif"),
    "WEBP": ("image/webp", "webp"),
}
FOLDER = "chat-images"


@dataclass(frozen=True)
class CheckedImage:
    """A real image's re-encoded bytes, ready to store and to send."""

    data: bytes
    media_type: str
    width: int
    height: int

    @property
    def extension(self) -> str:
        return next(extension for media_type, extension in FORMATS.values() if media_type == self.media_type)


# What the re-encoded image keeps of the original's `info` (Pillow would write a JPEG's or GIF's
# comment back, for one): how to draw it, nothing about where it came from.
KEPT_INFO = ("transparency", "icc_profile")


def _reencoded(image: Image.Image, image_format: str) -> tuple[bytes, tuple[int, int]]:
    """The pixels in the same format, without EXIF, XMP, comments or text chunks, and their size."""
    image = ImageOps.exif_transpose(image)  # a phone photo stays upright once its EXIF is gone
    image.info = {key: value for key, value in image.info.items() if key in KEPT_INFO}
    output = io.BytesIO()
    if image_format == "JPEG":
        image = image if image.mode in ("RGB", "L") else image.convert("RGB")
        image.save(output, "JPEG", quality=90)
    elif image_format == "PNG":
        image.save(output, "PNG")
    elif image_format == "GIF":
        image.save(output, "GIF")
    else:
        image = image if image.mode in ("RGB", "RGBA") else image.convert("RGBA")
        image.save(output, "WEBP", quality=90)
    return output.getvalue(), image.size


def image_checked(data: bytes) -> CheckedImage:
    """`data` as a checked, re-encoded image, or ImageRefused (ImageTooLarge past CHAT_IMAGE_MAX_BYTES)."""
    if len(data) > settings.CHAT_IMAGE_MAX_BYTES:
        raise ImageTooLarge(
            _("An image may have at most %(limit)s bytes; this one has %(size)s.")
            % {"limit": settings.CHAT_IMAGE_MAX_BYTES, "size": len(data)},
            param="images",
        )
    try:
        with Image.open(io.BytesIO(data)) as probe:
            probe.verify()  # the file's structure, before any pixel is decoded
        with Image.open(io.BytesIO(data)) as image:
            image_format = image.format
            if image_format not in FORMATS:
                message = _("Images may be JPEG, PNG, GIF or WEBP; this one is %(format)s.")
                raise ImageRefused(message % {"format": image_format}, param="images")
            width, height = image.size
            if width * height > settings.CHAT_IMAGE_MAX_PIXELS:
                raise ImageRefused(
                    _("An image may have at most %(limit)s pixels; this one is %(width)sx%(height)s.")
                    % {"limit": settings.CHAT_IMAGE_MAX_PIXELS, "width": width, "height": height},
                    param="images",
                )
            image.seek(0)
            image.load()
            encoded, (width, height) = _reencoded(image, image_format)
    except ImageRefused:
        raise
    except Exception as error:  # Pillow's many ways of saying "not an image" (and decompression bombs)
        raise ImageRefused(
            _("The file is not an image we can read (JPEG, PNG, GIF or WEBP)."), param="images"
        ) from error
    return CheckedImage(data=encoded, media_type=FORMATS[image_format][0], width=width, height=height)


DATA_URL = re.compile(r"data:(?P<declared>[\w.+-]+/[\w.+-]+)?;base64,(?P<data>[A-Za-z0-9+/=\s]*)", re.DOTALL)


def image_from_data_url(url: str) -> CheckedImage:
    """The image a `data:` URL carries (an OpenAI-style `image_url` part), checked like an upload;
    its declared type is not trusted. Any other URL is refused: our server fetches nothing."""
    match = DATA_URL.fullmatch(url)
    if match is None:
        raise ImageRefused(_("An image must be a base64 data: URL (data:image/png;base64,...)."), param="image_url")
    encoded = match["data"]
    if len(encoded) * 3 // 4 > settings.CHAT_IMAGE_MAX_BYTES + 3:  # before decoding it
        message = _("An image may have at most %(limit)s bytes.") % {"limit": settings.CHAT_IMAGE_MAX_BYTES}
        raise ImageTooLarge(message, param="image_url")
    try:
        data = base64.b64decode(encoded, validate=False)
    except (binascii.Error, ValueError) as error:
        raise ImageRefused(_("The image's base64 cannot be decoded."), param="image_url") from error
    return image_checked(data)


def images_checked(uploads: Iterable[bytes]) -> tuple[CheckedImage, ...]:
    """Every upload of one message checked (at most CHAT_IMAGES_PER_MESSAGE)."""
    uploads = list(uploads)
    if len(uploads) > settings.CHAT_IMAGES_PER_MESSAGE:
        raise ImageRefused(
            _("A message may carry at most %(limit)s images; this one has %(count)s.")
            % {"limit": settings.CHAT_IMAGES_PER_MESSAGE, "count": len(uploads)},
            param="images",
        )
    return tuple(image_checked(data) for data in uploads)


def ensure_model_reads_images(model: str) -> None:
    if model not in settings.OPENAI_VISION_MODELS:
        raise ImagesNotSupported(
            _(
                "The model %(model)s reads text only; choose one that reads images (%(models)s) "
                "or send the message without them."
            )
            % {"model": model, "models": ", ".join(settings.OPENAI_VISION_MODELS)},
            param="images",
        )


# --- Storage ----------------------------------------------------------------------------------


def images_save(images: Iterable[CheckedImage], *, user_id: int) -> list[str]:
    """Write the files (before the transaction that links them: no storage call holds a database
    lock); the caller discards them (`images_discard`) if that transaction does not commit."""
    names: list[str] = []
    try:
        for image in images:
            name = f"{FOLDER}/{user_id}/{secrets.token_hex(16)}.{image.extension}"
            names.append(default_storage.save(name, ContentFile(image.data)))
    except BaseException:
        images_discard(names)
        raise
    return names


def images_link(*, prompt_id: int, images: Iterable[CheckedImage], names: list[str]) -> list[PromptImage]:
    """The rows of a stored prompt's images (inside the transaction that stores the prompt)."""
    rows = [
        PromptImage(
            prompt_id=prompt_id,
            position=position,
            file=name,
            media_type=image.media_type,
            width=image.width,
            height=image.height,
            byte_size=len(image.data),
        )
        for position, (image, name) in enumerate(zip(images, names, strict=True))
    ]
    return PromptImage.objects.bulk_create(rows)


def images_discard(names: Iterable[str]) -> None:
    for name in names:
        default_storage.delete(name)


@receiver(post_delete, sender=PromptImage)
def _delete_file_on_commit(sender, instance: PromptImage, **kwargs) -> None:
    """A deleted row (its chat deleted, too) takes its file along, once the deletion is certain."""
    if instance.file.name:
        transaction.on_commit(partial(default_storage.delete, instance.file.name))


def stored_image_bytes(image: PromptImage) -> bytes:
    with default_storage.open(image.file.name, "rb") as file:
        return file.read()


def kept_image(image: PromptImage) -> CheckedImage:
    """A stored image as one to store again (an edited message's, for its new version): its bytes
    were checked and re-encoded when it was first sent."""
    return CheckedImage(
        data=stored_image_bytes(image), media_type=image.media_type, width=image.width, height=image.height
    )


# --- Upstream ---------------------------------------------------------------------------------


def data_url(*, media_type: str, data: bytes) -> str:
    return f"data:{media_type};base64,{base64.b64encode(data).decode('ascii')}"


def image_part(*, media_type: str, data: bytes) -> dict:
    """An OpenAI chat content part carrying the image itself (never a URL the model's server would fetch)."""
    return {"type": "image_url", "image_url": {"url": data_url(media_type=media_type, data=data)}}


def checked_image_parts(images: Iterable[CheckedImage]) -> list[dict]:
    return [image_part(media_type=image.media_type, data=image.data) for image in images]


def stored_image_parts(images: Iterable[PromptImage]) -> list[dict]:
    return [image_part(media_type=image.media_type, data=stored_image_bytes(image)) for image in images]


def user_content(text: str, image_parts: list[dict]) -> str | list[dict]:
    """A user message's `content`: the text alone, or content parts (text first) when it has images."""
    if not image_parts:
        return text
    return ([{"type": "text", "text": text}] if text else []) + image_parts


def image_tokens(*, width: int, height: int, detail: str = "high") -> int:
    """What one image costs in input tokens, by OpenAI's published rule for GPT-4o-class models
    (https://platform.openai.com/docs/guides/images-vision#calculating-costs): `low` is 85; `high`
    (and `auto`, counted as high) fits the image in 2048x2048, scales its shortest side down to 768,
    and costs 170 per 512-pixel tile plus 85."""
    if detail == "low":
        return 85
    scale = min(1.0, 2048 / max(width, height))
    width, height = width * scale, height * scale
    scale = min(1.0, 768 / min(width, height))
    width, height = width * scale, height * scale
    return 170 * math.ceil(width / 512) * math.ceil(height / 512) + 85
