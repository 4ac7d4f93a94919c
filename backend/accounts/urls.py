from django.urls import path

from accounts import views
from accounts.social import views as social

urlpatterns = [
    path("signup/", views.SignupView.as_view(), name="signup"),
    path("signup/policy/", views.SignupPolicyView.as_view(), name="signup-policy"),
    path("token/", views.LoginView.as_view(), name="token"),
    path("token/refresh/", views.RefreshView.as_view(), name="token-refresh"),
    path("logout/", views.LogoutView.as_view(), name="logout"),
    path("me/", views.MeView.as_view(), name="me"),
    path("keys/", views.ApiKeyListView.as_view(), name="api-keys"),
    path("keys/<int:pk>/", views.ApiKeyDetailView.as_view(), name="api-key-detail"),
    path("password/reset/", views.PasswordResetView.as_view(), name="password-reset"),
    path("password/reset/confirm/", views.PasswordResetConfirmView.as_view(), name="password-reset-confirm"),
    path("password/change/", views.PasswordChangeView.as_view(), name="password-change"),
    path("email/verify/", views.EmailVerifyView.as_view(), name="email-verify"),
    path("email/verify/resend/", views.EmailVerifyResendView.as_view(), name="email-verify-resend"),
    path("social/", social.SocialProvidersView.as_view(), name="social-providers"),
    path("social/exchange/", social.SocialExchangeView.as_view(), name="social-exchange"),
    path("social/<slug:provider>/start/", social.SocialStartView.as_view(), name="social-start"),
    # allauth finds each provider's callback by the URL name `<provider>_callback`.
    path("social/github/callback/", social.social_callback, {"provider": "github"}, name="github_callback"),
    path("social/kakao/callback/", social.social_callback, {"provider": "kakao"}, name="kakao_callback"),
    path("social/<slug:provider>/link/", social.SocialLinkView.as_view(), name="social-link"),
    path("social/<slug:provider>/", social.SocialAccountView.as_view(), name="social-account"),
]
