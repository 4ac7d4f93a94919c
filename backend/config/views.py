"""Service endpoints that belong to no app: health, and JSON answers for unknown URLs."""

from django.db import DatabaseError, connection
from django.http import JsonResponse
from drf_spectacular.utils import OpenApiResponse, extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView


class HealthView(APIView):
    authentication_classes: list = []
    permission_classes = [AllowAny]

    @extend_schema(
        responses={
            200: inline_serializer("HealthStatus", {"status": serializers.CharField()}),
            503: OpenApiResponse(description="The database does not answer."),
        }
    )
    def get(self, request):
        try:
            with connection.cursor() as cursor:
                cursor.execute("SELECT 1")
        except DatabaseError:
            return Response({"status": "unavailable"}, status=503)
        return Response({"status": "ok"})


def json_bad_request(request, exception=None):
    return JsonResponse({"detail": "Bad request."}, status=400)


def json_forbidden(request, exception=None):
    return JsonResponse({"detail": "Forbidden."}, status=403)


def json_not_found(request, exception=None):
    return JsonResponse({"detail": "Not found."}, status=404)


def json_server_error(request):
    return JsonResponse({"detail": "Internal server error."}, status=500)
