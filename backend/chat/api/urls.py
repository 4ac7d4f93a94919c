"""The chat's REST API, mounted at `/api/v1/` (config.urls)."""

from django.urls import path

from chat.api import send_views, share_views, staff_views, views

urlpatterns = [
    path("chats/", views.ChatListView.as_view(), name="chat-list"),
    path("chats/<int:pk>/", views.ChatDetailView.as_view(), name="chat-detail"),
    path("chats/<int:pk>/messages/", send_views.MessageCreateView.as_view(), name="chat-messages"),
    path(
        "chats/<int:pk>/messages/<int:prompt_id>/regenerate/",
        send_views.RegenerateView.as_view(),
        name="chat-message-regenerate",
    ),
    path(
        "chats/<int:pk>/messages/<int:prompt_id>/edit/",
        send_views.EditView.as_view(),
        name="chat-message-edit",
    ),
    path("chats/<int:pk>/branch/", views.BranchView.as_view(), name="chat-branch"),
    path("chats/<int:pk>/images/<int:image_id>/", views.ChatImageView.as_view(), name="chat-image"),
    path("chats/<int:pk>/export/", views.ChatExportView.as_view(), name="chat-export"),
    path("chats/<int:pk>/share/", share_views.ChatShareView.as_view(), name="chat-share"),
    path("shared/<str:token>/", share_views.SharedChatView.as_view(), name="shared-chat"),
    path("auth/me/usage/", views.UsageView.as_view(), name="usage"),
    path("models/", views.ModelsView.as_view(), name="models"),
    path("personas/", views.PersonasView.as_view(), name="personas"),
    path("staff/usage/", staff_views.StaffUsageView.as_view(), name="staff-usage"),
    path("staff/usage.csv", staff_views.StaffUsageCsvView.as_view(), name="staff-usage-csv"),
]
