"""Mail for `make run`: each message printed to the terminal as one readable block (links intact)."""

from __future__ import annotations

from django.core.mail.backends.console import EmailBackend as DjangoConsoleBackend


class ReadableConsoleBackend(DjangoConsoleBackend):
    """Django's console backend prints the MIME source (quoted-printable breaks links); this prints the text."""

    def write_message(self, message) -> None:
        rule = "-" * 72
        self.stream.write(
            f"{rule}\nMail to {', '.join(message.to)}\nFrom: {message.from_email}\nSubject: {message.subject}\n\n"
            f"{message.body.rstrip()}\n{rule}\n"
        )
