"""The URL map: each app's own `urls`, and Django's admin."""

from django.contrib import admin
from django.urls import include, path

urlpatterns = [
    path("admin/", include("accounts.admin_urls")),
    path("admin/", admin.site.urls),
    path("api/", include("core.urls")),
    path("api/v1/auth/", include("accounts.urls")),
    path("api/v1/staff/", include("accounts.staff_urls")),
    path("api/v1/", include("chat.api.urls")),
    path("api/openai/v1/", include("chat.openai_compatible.urls")),
]

handler400 = "core.views.json_bad_request"
handler403 = "core.views.json_forbidden"
handler404 = "core.views.json_not_found"
handler500 = "core.views.json_server_error"
