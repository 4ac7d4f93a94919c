"""`check --deploy`: account mail must reach people in production."""

from django.conf import settings
from django.core import checks


@checks.register(checks.Tags.security, deploy=True)
def mail_is_delivered(app_configs, **kwargs):
    if settings.EMAIL_BACKEND in (
        "core.mail.ReadableConsoleBackend",
        "django.core.mail.backends.console.EmailBackend",
    ):
        return [
            checks.Warning(
                "Mail goes to the console: nobody receives verification or password reset links, and an "
                "address nobody can verify can be claimed by a social login.",
                hint="Set EMAIL_URL, e.g. smtp+tls://user:password@smtp.example.com:587.",
                id="accounts.W001",
            )
        ]
    return []
