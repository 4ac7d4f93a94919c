"""Production: every concern's settings as they are, secure by default. The default settings module."""

from config.settings.accounts import *  # noqa: F403
from config.settings.base import *  # noqa: F403
from config.settings.chat import *  # noqa: F403
from config.settings.rest import *  # noqa: F403
from config.settings.tasks import *  # noqa: F403
