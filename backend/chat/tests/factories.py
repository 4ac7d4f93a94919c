import factory
from django.conf import settings

from accounts.tests.factories import UserFactory
from chat.models import ChatBot, Choice, Config, Prompt, PromptKind, Reply


class ChatBotFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ChatBot
        skip_postgeneration_save = True

    user = factory.SubFactory(UserFactory)
    title = factory.Sequence(lambda n: f"Chat {n}")
    config = factory.RelatedFactory("chat.tests.factories.ConfigFactory", factory_related_name="chatbot")


class ConfigFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Config

    chatbot = factory.SubFactory(ChatBotFactory, config=None)
    model = factory.LazyFunction(lambda: settings.OPENAI_MODEL)
    temperature = "1.00"
    max_tokens = 256
    stream = False


class PromptFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Prompt

    chatbot = factory.SubFactory(ChatBotFactory)
    kind = PromptKind.MESSAGE
    content = factory.Sequence(lambda n: f"message {n}")

    @classmethod
    def _create(cls, model_class, *args, **kwargs):
        """A message goes on from the chat's current branch and ends it, as a send's does (unless
        the test names its `parent`)."""
        if kwargs.get("kind", PromptKind.MESSAGE) != PromptKind.MESSAGE:
            return super()._create(model_class, *args, **kwargs)
        chat = kwargs["chatbot"]
        if "parent" not in kwargs and "parent_id" not in kwargs:
            kwargs["parent_id"] = ChatBot.objects.filter(pk=chat.pk).values_list("current_prompt_id", flat=True).first()
        prompt = super()._create(model_class, *args, **kwargs)
        ChatBot.objects.filter(pk=chat.pk).update(current_prompt=prompt)
        chat.current_prompt_id = prompt.pk
        return prompt


class ReplyFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Reply
        skip_postgeneration_save = True

    prompt = factory.SubFactory(PromptFactory)
    chatbot = factory.SelfAttribute("prompt.chatbot")
    model = "gpt-4o-mini"
    prompt_tokens = 10
    completion_tokens = 5
    total_tokens = 15
    choice = factory.RelatedFactory("chat.tests.factories.ChoiceFactory", factory_related_name="reply")


class ChoiceFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Choice

    reply = factory.SubFactory(ReplyFactory, choice=None)
    index = 0
    role = "assistant"
    content = factory.Sequence(lambda n: f"answer {n}")
    finish_reason = "stop"


def exchange(chat: ChatBot, question: str, answer: str) -> Prompt:
    """A stored turn: the user's message and the model's reply to it."""
    prompt = PromptFactory(chatbot=chat, content=question)
    ReplyFactory(prompt=prompt, choice__content=answer)
    return prompt
