// One chat: its messages, a message box (Enter sends, Shift+Enter new line), streaming with Stop.
import * as api from "../api.js";
import { clear, downloadFile, h } from "../dom.js";
import { errorText, formatDateTime, formatNumber, formatTime, t } from "../i18n.js";
import { renderMarkdown } from "../markdown.js";
import { chatTitle, refreshAccount, refreshChatList } from "../state.js";
import { noticeBox } from "./form.js";

const CONTEXT_KINDS = ["current_state", "goal", "misc"];

function author(name, at) {
  const date = at ? new Date(at) : new Date();
  return h(
    "p",
    { class: "author" },
    name,
    h("time", { datetime: date.toISOString(), title: formatDateTime(date) }, formatTime(date)),
  );
}

function userBubble(text, at) {
  return h(
    "li",
    { class: "message user" },
    author(t("conversation.you"), at),
    h("div", { class: "text" }, text),
  );
}

function assistantBubble(text = "", { pending = false, note = "", at = null } = {}) {
  const body = h("div", { class: "text markdown" });
  body.append(renderMarkdown(text));
  const element = h(
    "li",
    { class: `message assistant${pending ? " pending" : ""}` },
    author(t("conversation.assistant"), at),
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
  return prompt.reply?.choices?.[0]?.finish_reason === "cancelled" ? t("conversation.stopped") : "";
}

export function conversationView({ chatId }) {
  const title = h("h1", { class: "chat-title", tabindex: "-1" }, t("conversation.loading"));
  const meta = h("p", { class: "chat-meta" });
  const context = h("div", { class: "context" });
  const messages = h("ol", { class: "messages", "aria-label": t("conversation.label") });
  const banner = h("div", { class: "banner", role: "alert", hidden: true });
  const box = h("textarea", {
    id: "message",
    rows: 3,
    "aria-label": t("conversation.message"),
    placeholder: t("conversation.placeholder"),
    maxlength: 8000,
  });
  const send = h("button", { type: "submit", class: "primary" }, t("conversation.send"));
  const stop = h("button", { type: "button", class: "danger", hidden: true }, t("conversation.stop"));
  const renameButton = h("button", { type: "button" }, t("conversation.rename"));
  const exportButton = h("button", { type: "button", title: t("conversation.exportHint") }, t("conversation.export"));
  const deleteButton = h("button", { type: "button", class: "danger subtle" }, t("conversation.delete"));
  const heading = h("div", { class: "chat-heading" }, title, renameButton, exportButton, deleteButton);
  let chat = null;
  let controller = null;

  function showBanner(text, retry) {
    clear(banner);
    banner.append(h("span", {}, text));
    if (retry) banner.append(h("button", { type: "button", onclick: retry }, t("conversation.retry")));
    banner.hidden = false;
  }

  function renderChat() {
    title.textContent = chatTitle(chat);
    meta.textContent = [
      chat.config.model,
      t("conversation.temperature", { value: formatNumber(Number(chat.config.temperature)) }),
      chat.config.stream ? t("conversation.streaming") : null,
      t("conversation.started", { date: formatDateTime(new Date(chat.created_at)) }),
    ]
      .filter(Boolean)
      .join(" · ");
    clear(context);
    const known = CONTEXT_KINDS.filter((kind) => chat.context[kind]);
    if (known.length) {
      context.append(
        h(
          "details",
          {},
          h("summary", {}, t("conversation.contextSummary")),
          h("dl", {}, known.map((kind) => [h("dt", {}, t(`conversation.${kind}`)), h("dd", {}, chat.context[kind])])),
        ),
      );
    }
    clear(messages);
    for (const prompt of chat.prompts.filter((p) => p.kind === "message")) {
      messages.append(userBubble(prompt.content, prompt.created_at));
      if (prompt.reply) {
        messages.append(assistantBubble(replyText(prompt), { note: replyNote(prompt), at: prompt.reply.created_at }));
      }
    }
    messages.lastElementChild?.scrollIntoView({ block: "end" });
  }

  async function load() {
    try {
      chat = await api.getChat(chatId);
      renderChat();
    } catch (error) {
      title.textContent = error.status === 404 ? t("conversation.notFoundTitle") : t("conversation.loadFailedTitle");
      showBanner(error.status === 404 ? t("conversation.notFound") : errorText(error));
      send.disabled = true;
      exportButton.disabled = true;
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
      theirs.replaceWith(assistantBubble(replyText(prompt), { at: prompt.reply?.created_at }));
      chat.prompts.push(prompt);
      if (!chat.title) {
        chat = await api.getChat(chatId); // the first message named the chat
        title.textContent = chatTitle(chat);
      }
    } catch (error) {
      cancelAnimationFrame(frame);
      if (error.name === "AbortError") {
        theirs.replaceWith(assistantBubble(text, { note: t("conversation.stopped") }));
      } else {
        mine.remove();
        theirs.remove();
        box.value = content; // nothing is lost: the message is back in the box
        const retryable = [0, 502, 503, 504].includes(error.status);
        showBanner(errorText(error), retryable ? () => submit(box.value) : null);
      }
    } finally {
      controller = null;
      send.disabled = false;
      stop.hidden = true;
      box.focus();
      refreshChatList().catch(() => {});
      // A stream's headers counted it while in flight; a failed or stopped one may have been given back.
      refreshAccount().catch(() => {});
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
    const input = h("input", {
      type: "text",
      "aria-label": t("conversation.chatTitle"),
      value: chat?.title || "",
      maxlength: 200,
    });
    const save = async () => {
      try {
        chat = await api.updateChat(chatId, { title: input.value.trim() });
        form.replaceWith(heading);
        renderChat();
        await refreshChatList();
      } catch (error) {
        showBanner(errorText(error));
      }
    };
    const form = h(
      "form",
      { class: "rename", onsubmit: (event) => (event.preventDefault(), save()) },
      input,
      h("button", { type: "submit", class: "primary" }, t("conversation.save")),
      h("button", { type: "button", onclick: () => form.replaceWith(heading) }, t("conversation.cancel")),
    );
    input.addEventListener("keydown", (event) => event.key === "Escape" && form.replaceWith(heading));
    heading.replaceWith(form);
    input.focus();
    input.select();
  });
  deleteButton.addEventListener("click", async () => {
    if (!window.confirm(t("conversation.deleteConfirm"))) return;
    try {
      await api.deleteChat(chatId);
      await refreshChatList();
      location.hash = "#/chats";
    } catch (error) {
      showBanner(errorText(error));
    }
  });
  exportButton.addEventListener("click", async () => {
    exportButton.setAttribute("aria-busy", "true");
    try {
      const { blob, filename } = await api.exportChat(chatId, "md");
      downloadFile(blob, filename);
    } catch (error) {
      showBanner(errorText(error));
    } finally {
      exportButton.removeAttribute("aria-busy");
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

export function welcomeView({ notice } = {}) {
  return h(
    "main",
    { class: "conversation welcome" },
    h("h1", { tabindex: "-1" }, t("welcome.title")),
    noticeBox(notice),
    h("p", {}, t("welcome.before"), h("a", { href: "#/new" }, t("welcome.link")), t("welcome.after")),
  );
}
