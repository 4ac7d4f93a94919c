from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView

from accounts.views import throttled_admin_login
from chat.api.views import ModelsView, PersonasView, UsageView
from config.views import HealthView, RedocView, SwaggerView

urlpatterns = [
    path("admin/login/", throttled_admin_login, name="admin-login"),
    path("admin/", admin.site.urls),
    path("api/health/", HealthView.as_view(), name="health"),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    path("api/docs/", SwaggerView.as_view(url_name="schema"), name="swagger-ui"),
    path("api/redoc/", RedocView.as_view(url_name="schema"), name="redoc"),
    path("api/v1/auth/me/usage/", UsageView.as_view(), name="usage"),
    path("api/v1/auth/", include("accounts.urls")),
    path("api/v1/chats/", include("chat.api.urls")),
    path("api/v1/models/", ModelsView.as_view(), name="models"),
    path("api/v1/personas/", PersonasView.as_view(), name="personas"),
    path("api/openai/v1/", include("chat.openai_api.urls")),
]

handler400 = "config.views.json_bad_request"
handler403 = "config.views.json_forbidden"
handler404 = "config.views.json_not_found"
handler500 = "config.views.json_server_error"
