"""ASGI entry point: `make serve` and `make run` serve this with uvicorn workers."""

import os

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.production")

from core.handler import get_asgi_application

django_application = get_asgi_application()

from core.body_limit import RequestBodyLimit  # noqa: E402 - needs the settings loaded above
from core.logging import keep_query_strings_out_of_access_logs  # noqa: E402
from core.request_threads import RequestThreads  # noqa: E402

keep_query_strings_out_of_access_logs()

application = RequestBodyLimit(RequestThreads(django_application))
