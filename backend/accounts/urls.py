from django.urls import path

from accounts import views

urlpatterns = [
    path("signup/", views.SignupView.as_view(), name="signup"),
    path("token/", views.LoginView.as_view(), name="token"),
    path("token/refresh/", views.RefreshView.as_view(), name="token-refresh"),
    path("logout/", views.LogoutView.as_view(), name="logout"),
    path("me/", views.MeView.as_view(), name="me"),
    path("keys/", views.ApiKeyListView.as_view(), name="api-keys"),
    path("keys/<int:pk>/", views.ApiKeyDetailView.as_view(), name="api-key-detail"),
]
