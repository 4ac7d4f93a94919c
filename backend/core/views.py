"""Service endpoints that belong to no app: health, docs, and JSON answers for Django's own errors."""

import logging
import sys

from django.conf import settings
from django.core.cache import cache
from django.db import DatabaseError, connection
from django.http import JsonResponse
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema, inline_serializer
from drf_spectacular.views import SpectacularRedocView, SpectacularSwaggerSplitView
from rest_framework import serializers
from rest_framework.exceptions import ValidationError
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from core.errors import DATABASE_OUTAGE, application_error

logger = logging.getLogger(__name__)
HEALTH_PROBE_KEY = "health:probe"


def database_status() -> str:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
    except DatabaseError:
        return "unavailable"
    return "ok"


def cache_status() -> str:
    """ "local" without Redis (files on this machine: nothing to be down); else whether Redis answers."""
    if not settings.REDIS_URL:
        return "local"
    try:
        cache.set(HEALTH_PROBE_KEY, "1", timeout=10)
        return "ok" if cache.get(HEALTH_PROBE_KEY) == "1" else "unavailable"
    except Exception:  # the Redis client's own errors have no common base
        return "unavailable"


DEPENDENCY_STATES = ["ok", "unavailable"]
HealthStatusSerializer = inline_serializer(
    "HealthStatus",
    {
        "status": serializers.ChoiceField(DEPENDENCY_STATES),
        "database": serializers.ChoiceField(DEPENDENCY_STATES),
        "cache": serializers.ChoiceField(["ok", "unavailable", "local"]),
    },
)


class HealthView(APIView):
    authentication_classes: list = []
    permission_classes = [AllowAny]

    @extend_schema(
        parameters=[
            OpenApiParameter(
                "require",
                str,
                enum=["database", "cache", "database,cache"],
                description="Which dependencies decide the status (default both). Load balancers use "
                "`database`: with Redis down the API keeps serving (its throttles let requests through).",
            )
        ],
        responses={
            200: HealthStatusSerializer,
            503: OpenApiResponse(HealthStatusSerializer, description="The database or a configured Redis is down."),
        },
    )
    def get(self, request):
        required = request.query_params.get("require", "database,cache").split(",")
        if not set(required) <= {"database", "cache"}:
            raise ValidationError({"require": ["Expected database, cache or database,cache."]})
        body = {"database": database_status(), "cache": cache_status()}
        healthy = all(body[name] != "unavailable" for name in required)
        body = {"status": "ok" if healthy else "unavailable", **body}
        return Response(body, status=200 if healthy else 503)


# Swagger UI and ReDoc from our own static files (drf-spectacular-sidecar), under a strict CSP: only
# our scripts run (the split view serves Swagger's start-up script as a file, not inline).
DOCS_CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; "
    "font-src 'self' data:; connect-src 'self'; worker-src 'self' blob:; object-src 'none'; "
    "base-uri 'none'; frame-ancestors 'none'; form-action 'none'"
)


class StrictCspMixin:
    def finalize_response(self, request, response, *args, **kwargs):
        response = super().finalize_response(request, response, *args, **kwargs)
        response["Content-Security-Policy"] = DOCS_CSP
        return response


class SwaggerView(StrictCspMixin, SpectacularSwaggerSplitView):
    pass


class RedocView(StrictCspMixin, SpectacularRedocView):
    pass


def json_bad_request(request, exception=None):
    return JsonResponse({"detail": "Bad request."}, status=400)


def json_forbidden(request, exception=None):
    return JsonResponse({"detail": "Forbidden."}, status=403)


def json_not_found(request, exception=None):
    return JsonResponse({"detail": "Not found."}, status=404)


def json_server_error(request):
    """Django's last resort (outside DRF's handler): a database outage is a 503 to retry, not a bug."""
    error = sys.exc_info()[1]
    if isinstance(error, DATABASE_OUTAGE):
        unavailable = application_error(error)
        return JsonResponse(unavailable.body(), status=unavailable.status, headers=unavailable.headers)
    return JsonResponse({"detail": "Internal server error."}, status=500)
