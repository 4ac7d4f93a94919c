from django.urls import path, re_path

from chat.openai_compatible import views

urlpatterns = [
    path("chat/completions", views.ChatCompletionsView.as_view(), name="openai-chat-completions"),
    path("models", views.OpenAIModelsView.as_view(), name="openai-models"),
    re_path(r"^(?P<path>.*)$", views.unknown_path, name="openai-unknown"),
]
