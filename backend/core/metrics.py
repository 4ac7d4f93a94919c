"""Prometheus metrics: what operators scrape at /api/metrics/.

Under `make serve` (several gunicorn workers) prometheus-client runs in multiprocess mode: every
worker writes its samples to files in PROMETHEUS_MULTIPROC_DIR (gunicorn.conf.py makes and
cleans it) and the metrics view sums them, so any worker answers for all of them.
"""

from __future__ import annotations

import hmac
import os
import time

from asgiref.sync import iscoroutinefunction, markcoroutinefunction, sync_to_async
from django.conf import settings
from django.http import HttpResponse, JsonResponse
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
    multiprocess,
)
from prometheus_client.core import GaugeMetricFamily

from core.security_headers import security_headers

LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60)

REQUESTS = Counter(
    "chatbot_http_requests", "HTTP requests answered, by route and status.", ["route", "method", "status"]
)
REQUEST_LATENCY = Histogram(
    "chatbot_http_request_duration_seconds",
    "Time to the answer's head (a stream's first byte), by route.",
    ["route", "method"],
    buckets=LATENCY_BUCKETS,
)
UPSTREAM_LATENCY = Histogram(
    "chatbot_upstream_request_duration_seconds",
    "Duration of calls to the model's server, to the end of the answer.",
    ["mode"],
    buckets=LATENCY_BUCKETS,
)
UPSTREAM_ERRORS = Counter("chatbot_upstream_errors", "Failed calls to the model's server, by kind.", ["kind"])
TOKENS = Counter("chatbot_tokens", "Tokens of stored replies.", ["kind"])
SERVICE_TOKENS = Counter(
    "chatbot_service_tokens",
    "Tokens of the service's own calls (summaries, titles), not charged to a user.",
    ["purpose", "kind"],
)
TASK_RUNS = Counter("chatbot_task_runs", "Attempts of background tasks, by task and outcome.", ["task", "outcome"])
SERVICE_CALLS = Counter(
    "chatbot_service_calls", "The service's own calls to the model, by purpose and outcome.", ["purpose", "outcome"]
)
QUOTA_REFUSALS = Counter("chatbot_quota_refusals", "Sends refused because the daily quota was used up.")
TOKEN_REFUSALS = Counter("chatbot_token_refusals", "Sends refused because a user's token budget was used up.")
SERVICE_BUDGET_REFUSALS = Counter(
    "chatbot_service_budget_refusals", "Sends refused because the service's token ceiling was reached."
)
# The service's tokens used (settled and reserved) and its ceiling, by window (day, month), as the
# last send that checked the ceiling saw them.
SERVICE_TOKENS_USED = Gauge(
    "chatbot_service_tokens_used",
    "Tokens the whole service used in the window.",
    ["window"],
    multiprocess_mode="mostrecent",
)
SERVICE_TOKENS_LIMIT = Gauge(
    "chatbot_service_tokens_limit",
    "The service's token ceiling for the window.",
    ["window"],
    multiprocess_mode="mostrecent",
)
STREAMS_IN_FLIGHT = Gauge(
    "chatbot_streams_in_flight", "Streamed answers being relayed right now.", multiprocess_mode="livesum"
)


def route_of(request) -> str:
    match = getattr(request, "resolver_match", None)
    return match.route if match is not None and match.route else "unmatched"


METRICS_PATH = "/api/metrics/"


class MetricsMiddleware:
    """Counts and times every request (async, so it costs no thread hop), and answers METRICS_PATH.

    It answers the scrape itself, before any other middleware: Prometheus reaches each replica by
    its address, which is not a host name the site serves (ALLOWED_HOSTS), and needs no redirect to
    HTTPS. The page depends on no host and is shown only for the token.
    """

    async_capable = True
    sync_capable = False

    def __init__(self, get_response):
        self.get_response = get_response
        if iscoroutinefunction(get_response):
            markcoroutinefunction(self)

    async def __call__(self, request):
        if request.path == METRICS_PATH:
            response = await sync_to_async(metrics_response)(request)  # it reads the task queue
            for name, value in security_headers().items():
                response[name] = value
            return response
        started = time.perf_counter()
        response = await self.get_response(request)
        route = route_of(request)
        REQUEST_LATENCY.labels(route, request.method).observe(time.perf_counter() - started)
        REQUESTS.labels(route, request.method, str(response.status_code)).inc()
        return response


def metrics_response(request) -> HttpResponse:
    """Prometheus text format; only with `Authorization: Bearer <METRICS_TOKEN>`, else a JSON 404."""
    token = settings.METRICS_TOKEN
    sent = request.headers.get("Authorization", "")
    if not token or not hmac.compare_digest(sent.encode(), f"Bearer {token}".encode()):
        return JsonResponse({"detail": "Not found."}, status=404)
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)
    else:
        registry = REGISTRY
    return HttpResponse(generate_latest(registry) + _task_queue_metrics(), content_type=CONTENT_TYPE_LATEST)


class _TaskQueue:
    """The background tasks by status, read from the queue's table at each scrape (any worker answers
    for the queue: it is one table)."""

    def collect(self):
        from django.db import DatabaseError
        from django.db.models import Count
        from django_tasks import TaskResultStatus
        from django_tasks_db.models import DBTaskResult

        family = GaugeMetricFamily(
            "chatbot_tasks",
            "Background tasks by status: READY is queued, RUNNING claimed, FAILED an attempt that raised.",
            labels=["status"],
        )
        counts = dict.fromkeys(TaskResultStatus.values, 0)
        try:
            counts.update(DBTaskResult.objects.values_list("status").order_by().annotate(n=Count("id")))
        except DatabaseError:
            return
        for status, count in counts.items():
            family.add_metric([status], count)
        yield family


def _task_queue_metrics() -> bytes:
    registry = CollectorRegistry()
    registry.register(_TaskQueue())
    return generate_latest(registry)
