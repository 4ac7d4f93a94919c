"""What the OpenAI-compatible tests share: the official SDK pointed at a test server, and a user's count."""

import openai

from chat.models import DailyUsage


def sdk(server, key: str, **options) -> openai.OpenAI:
    """The official client on `server`'s OpenAI-compatible endpoint, with no retries of its own."""
    return openai.OpenAI(base_url=f"{server.url}/api/openai/v1", api_key=key, max_retries=0, **options)


def used(user) -> int:
    """The user's completions counted, over every day."""
    return sum(DailyUsage.objects.filter(user=user).values_list("used", flat=True))
