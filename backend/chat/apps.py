from django.apps import AppConfig


class ChatConfig(AppConfig):
    name = "chat"
    verbose_name = "Chats"

    def ready(self):
        from chat import images  # noqa: F401 - connects the receiver that deletes an image's file with its row
