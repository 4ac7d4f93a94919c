import threading

from django.apps import AppConfig


class ChatConfig(AppConfig):
    name = "chat"
    verbose_name = "Chats"

    def ready(self) -> None:
        # Read the shipped token encodings (~0.2 s) off the request path: the first send of a
        # process would otherwise wait for them.
        from chat.tokens import preload

        threading.Thread(target=preload, name="encodings", daemon=True).start()
        from chat import images  # noqa: F401 - connects the receiver that deletes an image's file with its row
