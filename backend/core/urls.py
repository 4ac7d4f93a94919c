"""The service's own endpoints under `/api/`: health, the OpenAPI schema and its offline docs."""

from django.urls import path
from drf_spectacular.views import SpectacularAPIView

from core.views import HealthView, RedocView, SwaggerView

urlpatterns = [
    path("health/", HealthView.as_view(), name="health"),
    path("schema/", SpectacularAPIView.as_view(), name="schema"),
    path("docs/", SwaggerView.as_view(url_name="schema"), name="swagger-ui"),
    path("redoc/", RedocView.as_view(url_name="schema"), name="redoc"),
]
