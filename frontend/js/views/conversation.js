// One chat: its messages, a message box (Enter sends, Shift+Enter new line), streaming with Stop.
import * as api from "../api.js";
import { clear, formatTime, h } from "../dom.js";
import { renderMarkdown } from "../markdown.js";
import { getState, quotaFromUser, setState } from "../state.js";
import { refreshChatList } from "./shell.js";

const CONTEXT_LABELS = { current_state: "Current situation", goal: "Goal", misc: "Anything else" };

function userBubble(text) {
  return h("li", { class: "message user" }, h("p", { class: "author" }, "You"), h("div", { class: "text" }, text));
}

function assistantBubble(text = "", { pending = false, note = "" } = {}) {
  const body = h("div", { class: "text markdown" });
  body.append(renderMarkdown(text));
  const element = h(
    "li",
    { class: `message assistant${pending ? " pending" : ""}` },
    h("p", { class: "author" }, "Assistant"),
    body,
    note ? h("p", { class: "note" }, note) : null,
  );
  element.body = body;
  return element;
}

function replyText(prompt) {
  return prompt.reply?.choices?.[0]?.content ?? "";
}

function replyNote(prompt) {
  return prompt.reply?.choices?.[0]?.finish_reason === "cancelled" ? "Stopped before the end." : "";
}

function errorMessage(error) {
  if (error.status === 429) {
    const { quota } = getState();
    const limit = error.body?.limit ?? quota?.limit;
    const at = error.resetsAt || quota?.resetsAt;
    return `You have used all ${limit} messages for today. You can send more after ${at ? formatTime(at) : "midnight"}.`;
  }
  if (error.status === 503) return `${error.message} (busy upstream, try again in a few seconds)`;
  return error.message;
}

export function conversationView({ chatId }) {
  const title = h("h1", { class: "chat-title" }, "Loading…");
  const meta = h("p", { class: "chat-meta" });
  const context = h("div", { class: "context" });
  const messages = h("ol", { class: "messages", "aria-label": "Conversation" });
  const banner = h("div", { class: "banner", role: "alert", hidden: true });
  const box = h("textarea", {
    id: "message",
    rows: 3,
    "aria-label": "Message",
    placeholder: "Write a message. Enter sends, Shift+Enter starts a new line.",
    maxlength: 8000,
  });
  const send = h("button", { type: "submit", class: "primary" }, "Send");
  const stop = h("button", { type: "button", class: "danger", hidden: true }, "Stop");
  const renameButton = h("button", { type: "button" }, "Rename chat");
  const deleteButton = h("button", { type: "button", class: "danger subtle" }, "Delete chat");
  const heading = h("div", { class: "chat-heading" }, title, renameButton, deleteButton);
  let chat = null;
  let controller = null;

  function showBanner(text, retry) {
    clear(banner);
    banner.append(h("span", {}, text));
    if (retry) banner.append(h("button", { type: "button", onclick: retry }, "Retry"));
    banner.hidden = false;
  }

  function renderChat() {
    title.textContent = chat.title || "Untitled chat";
    meta.textContent = `${chat.config.model} · temperature ${chat.config.temperature}${chat.config.stream ? " · streaming" : ""}`;
    clear(context);
    const entries = Object.entries(chat.context).filter(([, value]) => value);
    if (entries.length) {
      context.append(
        h(
          "details",
          {},
          h("summary", {}, "What the assistant knows about you"),
          h("dl", {}, entries.map(([kind, value]) => [h("dt", {}, CONTEXT_LABELS[kind]), h("dd", {}, value)])),
        ),
      );
    }
    clear(messages);
    for (const prompt of chat.prompts.filter((p) => p.kind === "message")) {
      messages.append(userBubble(prompt.content));
      if (prompt.reply) messages.append(assistantBubble(replyText(prompt), { note: replyNote(prompt) }));
    }
    messages.lastElementChild?.scrollIntoView({ block: "end" });
  }

  async function load() {
    try {
      chat = await api.getChat(chatId);
      renderChat();
    } catch (error) {
      title.textContent = error.status === 404 ? "Chat not found" : "Could not load this chat";
      showBanner(error.status === 404 ? "This chat does not exist (or was deleted)." : error.message);
      send.disabled = true;
    }
  }

  async function submit(content) {
    if (!content.trim() || controller) return;
    await loaded; // a message typed while the chat is still loading is sent once it has loaded
    if (!chat || controller) return;
    banner.hidden = true;
    box.value = "";
    const mine = userBubble(content);
    const theirs = assistantBubble("", { pending: true });
    messages.append(mine, theirs);
    theirs.scrollIntoView({ block: "end" });
    controller = new AbortController();
    send.disabled = true;
    stop.hidden = false;
    let text = "";
    let frame = 0;
    try {
      const prompt = chat.config.stream
        ? await api.streamMessage(chatId, content, {
            signal: controller.signal,
            onDelta: (piece) => {
              text += piece;
              cancelAnimationFrame(frame);
              frame = requestAnimationFrame(() => {
                theirs.body.replaceChildren(renderMarkdown(text));
                theirs.scrollIntoView({ block: "end" });
              });
            },
          })
        : await api.sendMessage(chatId, content, { signal: controller.signal });
      cancelAnimationFrame(frame);
      theirs.replaceWith(assistantBubble(replyText(prompt)));
      chat.prompts.push(prompt);
      if (!chat.title) {
        chat = await api.getChat(chatId); // the first message named the chat
        title.textContent = chat.title || "Untitled chat";
      }
    } catch (error) {
      cancelAnimationFrame(frame);
      if (error.name === "AbortError") {
        theirs.replaceWith(assistantBubble(text, { note: "Stopped before the end." }));
      } else {
        mine.remove();
        theirs.remove();
        box.value = content; // nothing is lost: the message is back in the box
        const retryable = [0, 502, 503, 504].includes(error.status);
        showBanner(errorMessage(error), retryable ? () => submit(box.value) : null);
      }
    } finally {
      controller = null;
      send.disabled = false;
      stop.hidden = true;
      box.focus();
      refreshChatList().catch(() => {});
      // A stream's headers counted it while in flight; a failed or stopped one may have been given back.
      api.me().then((user) => setState({ quota: quotaFromUser(user.quota) }), () => {});
    }
  }

  stop.addEventListener("click", () => controller?.abort());
  box.addEventListener("keydown", (event) => {
    if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
      event.preventDefault();
      submit(box.value);
    }
  });
  renameButton.addEventListener("click", () => {
    const input = h("input", { type: "text", "aria-label": "Chat title", value: chat?.title || "", maxlength: 200 });
    const save = async () => {
      try {
        chat = await api.updateChat(chatId, { title: input.value.trim() });
        form.replaceWith(heading);
        renderChat();
        await refreshChatList();
      } catch (error) {
        showBanner(error.message);
      }
    };
    const form = h(
      "form",
      { class: "rename", onsubmit: (event) => (event.preventDefault(), save()) },
      input,
      h("button", { type: "submit", class: "primary" }, "Save"),
      h("button", { type: "button", onclick: () => form.replaceWith(heading) }, "Cancel"),
    );
    input.addEventListener("keydown", (event) => event.key === "Escape" && form.replaceWith(heading));
    heading.replaceWith(form);
    input.focus();
    input.select();
  });
  deleteButton.addEventListener("click", async () => {
    if (!window.confirm("Delete this chat and its messages?")) return;
    try {
      await api.deleteChat(chatId);
      await refreshChatList();
      location.hash = "#/chats";
    } catch (error) {
      showBanner(error.message);
    }
  });

  const composer = h(
    "form",
    { class: "composer", onsubmit: (event) => (event.preventDefault(), submit(box.value)) },
    box,
    h("div", { class: "composer-actions" }, stop, send),
  );
  const loaded = load();
  return h("main", { class: "conversation" }, heading, meta, context, messages, banner, composer);
}

export function welcomeView() {
  return h(
    "main",
    { class: "conversation welcome" },
    h("h1", {}, "Welcome"),
    h("p", {}, "Pick a chat from the list, or ", h("a", { href: "#/new" }, "start a conversation"), "."),
  );
}
