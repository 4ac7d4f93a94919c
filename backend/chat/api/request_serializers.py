"""What the REST API reads from a request, validated strictly: the bodies that create and change a
chat (`ChatCreateSerializer`, with its persona, and `ChatWriteSerializer`), send or edit a message
(as JSON, or as `multipart/form-data` with its images, counted and sized before any is read) and
switch a chat's branch, and the query strings of the chat list, a chat's detail, the usage and an
export. A chat's settings and context are read in the shapes its answers show them
(`ChatConfigSerializer`, `ChatContextSerializer`), which live with the answers' serializers in
`chat.api.serializers`."""

from django.conf import settings
from django.utils.translation import gettext as _
from rest_framework import serializers

from chat.api.serializers import ChatConfigSerializer, ChatContextSerializer
from chat.branches import prompt_id_of_cursor
from chat.exceptions import ImageRefused, ImageTooLarge
from chat.images import CheckedImage, images_checked
from chat.personas import VALUE_MAX_CHARS
from core.serializer_fields import (
    PresentMeansGivenMixin,
    StrictCharField,
    StrictIntegerField,
    StrictQueryChoiceField,
    StrictQueryIntegerField,
)

SEARCH_MAX_CHARS = 200


class PersonaChoiceSerializer(serializers.Serializer):
    id = StrictCharField(max_length=50)
    values = serializers.DictField(
        child=StrictCharField(max_length=VALUE_MAX_CHARS, allow_blank=True, trim_whitespace=False),
        required=False,
        default=dict,
    )


class ChatWriteSerializer(serializers.Serializer):
    title = StrictCharField(max_length=200, allow_blank=True, required=False)
    config = ChatConfigSerializer(required=False)
    context = ChatContextSerializer(required=False)


class ChatCreateSerializer(ChatWriteSerializer):
    persona = PersonaChoiceSerializer(
        required=False, help_text="Start from a persona: its prompt, with `values` filled in, is the system prompt."
    )

    def validate(self, attrs):
        if "persona" in attrs and attrs.get("config", {}).get("system_prompt"):
            raise serializers.ValidationError({"persona": [_("Give a persona or a system_prompt, not both.")]})
        return attrs


class MessageCreateSerializer(serializers.Serializer):
    """A message as JSON: its text."""

    content = StrictCharField(max_length=settings.CHAT_MESSAGE_MAX_CHARS)


class MessageWithImagesSerializer(MessageCreateSerializer):
    """A message as `multipart/form-data`: its text (blank when it has images) and image files.

    Each file must be a JPEG, PNG, GIF or WEBP image (what its bytes are, whatever its name or
    declared type says), of at most CHAT_IMAGE_MAX_BYTES (413 past it), CHAT_IMAGES_PER_MESSAGE per
    message and CHAT_IMAGES_PER_DAY per day; the chat's model must read images. They are stored
    re-encoded, without their metadata (EXIF).
    """

    content = StrictCharField(max_length=settings.CHAT_MESSAGE_MAX_CHARS, allow_blank=True)
    images = serializers.ListField(child=serializers.FileField(allow_empty_file=True), required=False, default=list)

    def validate(self, attrs):
        if not attrs["content"] and not attrs["images"]:
            raise serializers.ValidationError({"content": [_("This field may not be blank.")]})
        return attrs

    def validate_images(self, uploads) -> tuple[CheckedImage, ...]:
        if len(uploads) > settings.CHAT_IMAGES_PER_MESSAGE:
            raise ImageRefused(
                _("A message may carry at most %(limit)s images; this one has %(count)s.")
                % {"limit": settings.CHAT_IMAGES_PER_MESSAGE, "count": len(uploads)},
                param="images",
            )
        for upload in uploads:  # before reading any of them
            if upload.size > settings.CHAT_IMAGE_MAX_BYTES:
                raise ImageTooLarge(
                    _("An image may have at most %(limit)s bytes; one has %(size)s.")
                    % {"limit": settings.CHAT_IMAGE_MAX_BYTES, "size": upload.size},
                    param="images",
                )
        return images_checked(upload.read() for upload in uploads)


class StrictQueryCharField(PresentMeansGivenMixin, StrictCharField):
    """Text from a query string: `?before=` given empty is an empty value (refused), not an absent one."""


class ChatDetailQuerySerializer(serializers.Serializer):
    """The detail's paging: the newest `turns` of the current branch, or those before a cursor."""

    turns = StrictQueryIntegerField(
        min_value=1, max_value=100, required=False, help_text="Only this many turns (1 to 100), newest."
    )
    before = StrictQueryCharField(max_length=40, required=False, help_text="`older` of the previous page.")

    def validate_before(self, value: str) -> int:
        prompt_id = prompt_id_of_cursor(value)
        if prompt_id is None:
            raise serializers.ValidationError(_("Not a cursor of this chat."))
        return prompt_id

    def validate(self, attrs):
        if "before" in attrs and "turns" not in attrs:
            raise serializers.ValidationError({"turns": [_("A cursor needs turns.")]})
        return attrs


class MessageEditSerializer(MessageCreateSerializer):
    """The new version of a message: its text (its images, if it has any, are kept)."""


class BranchSwitchSerializer(serializers.Serializer):
    prompt_id = StrictIntegerField(min_value=1, help_text="A version (`versions[].id`) of one of the chat's messages.")


class ChatListQuerySerializer(serializers.Serializer):
    """The list's query string. Search text is capped: a LIKE pattern has limits of its own."""

    search = StrictCharField(max_length=SEARCH_MAX_CHARS, required=False, allow_blank=True, default="")


class UsageQuerySerializer(serializers.Serializer):
    days = StrictQueryIntegerField(min_value=1, max_value=90, required=False, default=30)


class ExportQuerySerializer(serializers.Serializer):
    format = StrictQueryChoiceField(choices=["md", "json"], required=False, default="md")
