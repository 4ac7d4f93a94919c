from django.urls import path

from chat.api import views

urlpatterns = [
    path("", views.ChatListView.as_view(), name="chat-list"),
    path("<int:pk>/", views.ChatDetailView.as_view(), name="chat-detail"),
    path("<int:pk>/messages/", views.MessageCreateView.as_view(), name="chat-messages"),
    path(
        "<int:pk>/messages/<int:prompt_id>/regenerate/", views.RegenerateView.as_view(), name="chat-message-regenerate"
    ),
    path("<int:pk>/export/", views.ChatExportView.as_view(), name="chat-export"),
]
