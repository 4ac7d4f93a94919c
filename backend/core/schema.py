"""OpenAPI generation: every operation documents the errors it can answer, in DRF's shapes."""

from drf_spectacular.openapi import AutoSchema
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse
from rest_framework import serializers
from rest_framework.permissions import AllowAny


class ErrorDetailSerializer(serializers.Serializer):
    detail = serializers.CharField()


VALIDATION_ERROR = OpenApiResponse(
    OpenApiTypes.OBJECT,
    description='Invalid input: `{"field": ["message"]}` per field (nested for nested fields), '
    'or `{"detail": "..."}` for a body that is not JSON.',
)
UNAUTHENTICATED = OpenApiResponse(ErrorDetailSerializer, description="Missing, invalid or expired access token.")
NOT_FOUND = OpenApiResponse(ErrorDetailSerializer, description="Not found (other users' objects do not exist for you).")
THROTTLED = OpenApiResponse(
    ErrorDetailSerializer, description="Too many attempts from this address; see `Retry-After`."
)


class ApiAutoSchema(AutoSchema):
    """drf-spectacular's AutoSchema, adding the error answers DRF gives unless a view declares its own."""

    def _get_query_parameters_documented(self) -> bool:
        """Query parameters beyond the page number are validated: a bad one is a 400."""
        overrides = self.get_override_parameters()
        return any(getattr(parameter, "location", None) == "query" for parameter in overrides)

    def _get_response_bodies(self, direction="response"):
        responses = super()._get_response_bodies(direction)
        defaults = {}
        if self.method in ("POST", "PUT", "PATCH") or self._get_query_parameters_documented():
            defaults["400"] = VALIDATION_ERROR
        if not any(isinstance(permission, AllowAny) for permission in self.view.get_permissions()):
            defaults["401"] = UNAUTHENTICATED
        if "{" in self.path or self._is_list_view():  # a missing object, or a page past the end
            defaults["404"] = NOT_FOUND
        if self.view.get_throttles():
            defaults["429"] = THROTTLED
        for code, response in defaults.items():
            if code not in responses:
                responses[code] = self._get_response_for_code(response, code, direction=direction)
        return responses
