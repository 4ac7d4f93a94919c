from django.urls import path, re_path

from chat.openai_compatible import responses_views, views

urlpatterns = [
    path("chat/completions", views.ChatCompletionsView.as_view(), name="openai-chat-completions"),
    path("models", views.OpenAIModelsView.as_view(), name="openai-models"),
    path("responses", responses_views.ResponsesView.as_view(), name="openai-responses"),
    path("responses/<str:response_id>", responses_views.ResponseDetailView.as_view(), name="openai-response"),
    re_path(r"^(?P<path>.*)$", views.unknown_path, name="openai-unknown"),
]
