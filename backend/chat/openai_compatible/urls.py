from django.urls import path

from chat.openai_compatible import views

urlpatterns = [
    path("chat/completions", views.ChatCompletionsView.as_view(), name="openai-chat-completions"),
    path("models", views.OpenAIModelsView.as_view(), name="openai-models"),
]
