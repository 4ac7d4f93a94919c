"""What the benchmarks' bulk seeding must do that a send does for itself."""

from __future__ import annotations


def chain_turns(prompts) -> None:
    """Link bulk-created messages as sends would: each chat's, in the order given, one branch (every
    message's `parent` the one before it) whose last message is the chat's current one. Without it
    the walk of `chat.branches` finds no turns."""
    from chat.models import ChatBot, Prompt

    last: dict[int, int] = {}
    linked = []
    for prompt in prompts:
        previous = last.get(prompt.chatbot_id)
        if previous is not None:
            prompt.parent_id = previous
            linked.append(prompt)
        last[prompt.chatbot_id] = prompt.pk
    Prompt.objects.bulk_update(linked, ["parent"], batch_size=1000)
    for chat_id, leaf in last.items():
        ChatBot.objects.filter(pk=chat_id).update(current_prompt_id=leaf)
