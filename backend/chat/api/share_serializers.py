"""What a share link shows, in the API's answers: the link made for the owner (`ShareLinkSerializer`:
its token and the SPA's page for it) and the chat as anyone holding the token reads it
(`SharedChatSerializer`): its title and its current branch's messages with their newest answers,
nothing of the owner, no ids and no context. The owner's own answers' serializers are in
`chat.api.serializers`."""

from rest_framework import serializers

from chat.api.serializers import ChoiceSerializer
from chat.models import ChatBot, Prompt, Reply


class ShareLinkSerializer(serializers.Serializer):
    token = serializers.CharField(help_text="The secret of the link: whoever has it can read the chat.")
    url = serializers.CharField(help_text="The SPA's page for the link (SPA_URL#/shared/<token>).")


class SharedReplySerializer(serializers.ModelSerializer):
    choices = ChoiceSerializer(many=True, read_only=True, source="ordered_choices")

    class Meta:
        model = Reply
        fields = ["model", "created_at", "choices"]


class SharedPromptSerializer(serializers.ModelSerializer):
    reply = SharedReplySerializer(read_only=True, allow_null=True, help_text="The newest answer; null if none.")

    class Meta:
        model = Prompt
        fields = ["content", "created_at", "reply"]


class SharedChatSerializer(serializers.ModelSerializer):
    """What a link shows: the title and the conversation; nothing of the owner, no ids, no context."""

    prompts = SharedPromptSerializer(many=True, read_only=True, source="shown_prompts")

    class Meta:
        model = ChatBot
        fields = ["title", "created_at", "prompts"]
