"""The admin's log-in page, throttled per IP; mounted ahead of Django's admin (config.urls)."""

from django.urls import path

from accounts.views import throttled_admin_login

urlpatterns = [path("login/", throttled_admin_login, name="admin-login")]
