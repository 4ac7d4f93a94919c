// One chat: its messages (each answer with Copy, the last with Regenerate), a message box (Enter
// sends, Shift+Enter new line), streaming with Stop, and the panel of what the assistant knows.
import { refreshAccount } from "../actions/account.js";
import { refreshChatList } from "../actions/chats.js";
import * as api from "../api.js";
import { clear, downloadFile, h } from "../dom.js";
import { t } from "../i18n.js";
import { errorText } from "../i18n/errors.js";
import { formatDateTime, formatNumber } from "../i18n/format.js";
import { chatTitle } from "../state.js";
import { contextPanel } from "./context-panel.js";
import { noticeBox } from "./form.js";
import { personaLine } from "./personas.js";
import { answersOf, answerView, author } from "./reply.js";

function userBubble(text, at) {
  return h(
    "li",
    { class: "message user" },
    author(t("conversation.you"), at),
    h("div", { class: "text" }, text),
  );
}

export function conversationView({ chatId }) {
  const title = h("h1", { class: "chat-title", tabindex: "-1" }, t("conversation.loading"));
  const persona = h("div", { class: "persona-slot" });
  const meta = h("p", { class: "chat-meta" });
  const panel = contextPanel({
    chatId,
    onSaved: (saved) => {
      chat = saved;
      renderHeader();
    },
  });
  panel.element.hidden = true;
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
  // The conversation as shown: each user message (`prompt`, `{id: null, content}` until stored) and its answers.
  let turns = [];

  function showBanner(text, retry) {
    clear(banner);
    banner.append(h("span", {}, text));
    if (retry) banner.append(h("button", { type: "button", onclick: retry }, t("conversation.retry")));
    banner.hidden = false;
  }

  function renderHeader() {
    title.textContent = chatTitle(chat);
    persona.replaceChildren(...[personaLine(chat.persona)].filter(Boolean));
    meta.textContent = [
      chat.config.model,
      t("conversation.temperature", { value: formatNumber(Number(chat.config.temperature)) }),
      chat.config.stream ? t("conversation.streaming") : null,
      t("conversation.started", { date: formatDateTime(new Date(chat.created_at)) }),
    ]
      .filter(Boolean)
      .join(" · ");
    panel.update(chat);
    panel.element.hidden = false;
  }

  function addTurn(prompt, at) {
    const turn = { prompt, user: userBubble(prompt.content, at), answer: answerView({ onRegenerate: regenerateLast }) };
    turns.push(turn);
    messages.append(turn.user, turn.answer.element);
    return turn;
  }

  /** Regenerate is offered on the last answer only: the server answers again only the last message. */
  function markLast() {
    turns.forEach((turn, index) => turn.answer.setLast(index === turns.length - 1 && turn.answer.hasAnswer));
  }

  /** While an answer is being written, the other answers' buttons wait. */
  function setBusy(busy) {
    controller = busy ? new AbortController() : null;
    send.disabled = busy;
    stop.hidden = !busy;
    turns.forEach((turn) => turn.answer.setBusy(busy));
  }

  function renderMessages() {
    clear(messages);
    turns = [];
    for (const prompt of chat.prompts.filter((p) => p.kind === "message")) {
      const turn = addTurn(prompt, prompt.created_at);
      turn.answer.show(prompt);
      turn.answer.element.hidden = !answersOf(prompt).length;
    }
    markLast();
    messages.lastElementChild?.scrollIntoView({ block: "end" });
  }

  /** A reply drawn as it streams, once per frame. */
  function streamInto(turn) {
    const stream = { text: "", frame: 0 };
    stream.onDelta = (piece) => {
      stream.text += piece;
      cancelAnimationFrame(stream.frame);
      stream.frame = requestAnimationFrame(() => {
        turn.answer.write(stream.text);
        turn.answer.element.scrollIntoView({ block: "end" });
      });
    };
    stream.end = () => cancelAnimationFrame(stream.frame);
    return stream;
  }

  async function load() {
    try {
      chat = await api.getChat(chatId);
      renderHeader();
      renderMessages();
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
    const turn = addTurn({ id: null, content });
    turn.answer.write("");
    turn.answer.element.scrollIntoView({ block: "end" });
    markLast();
    setBusy(true);
    const stream = streamInto(turn);
    try {
      const { signal } = controller;
      const prompt = chat.config.stream
        ? await api.streamMessage(chatId, content, { signal, onDelta: stream.onDelta })
        : await api.sendMessage(chatId, content, { signal });
      stream.end();
      turn.prompt = prompt;
      turn.answer.show(prompt);
      if (!chat.title) {
        chat = await api.getChat(chatId); // the first message named the chat
        title.textContent = chatTitle(chat);
      }
    } catch (error) {
      stream.end();
      if (error.name === "AbortError") {
        turn.answer.showStopped(stream.text);
      } else {
        turns.pop();
        turn.user.remove();
        turn.answer.element.remove();
        box.value = content; // nothing is lost: the message is back in the box
        const retryable = [0, 502, 503, 504].includes(error.status);
        showBanner(errorText(error), retryable ? () => submit(box.value) : null);
      }
    } finally {
      setBusy(false);
      markLast();
      box.focus();
      refreshChatList().catch(() => {});
      // A stream's headers counted it while in flight; a failed or stopped one may have been given back.
      refreshAccount().catch(() => {});
    }
  }

  /** The stored prompt a stopped send left (its id was never sent to us): the chat's last message. */
  async function storedPrompt(content) {
    const fresh = await api.getChat(chatId);
    const last = fresh.prompts.filter((p) => p.kind === "message").at(-1);
    if (!last || last.content !== content) throw new Error("the stopped message was not stored");
    return last;
  }

  /** Ask again for the last answer: streamed like a send when the chat streams; the quota counts it. */
  async function regenerateLast() {
    const turn = turns.at(-1);
    if (!turn || controller || !chat) return;
    banner.hidden = true;
    setBusy(true);
    const stream = streamInto(turn);
    try {
      const { signal } = controller;
      if (!turn.prompt.id) turn.prompt = await storedPrompt(turn.prompt.content);
      turn.answer.write("");
      const prompt = chat.config.stream
        ? await api.streamRegenerate(chatId, turn.prompt.id, { signal, onDelta: stream.onDelta })
        : await api.regenerate(chatId, turn.prompt.id, { signal });
      stream.end();
      turn.prompt = prompt;
      turn.answer.show(prompt);
    } catch (error) {
      stream.end();
      turn.answer.showStopped(error.name === "AbortError" ? stream.text : ""); // else the shown answer stays
      if (error.name !== "AbortError") {
        const retryable = [0, 502, 503, 504].includes(error.status);
        showBanner(errorText(error), retryable ? regenerateLast : null);
      }
    } finally {
      setBusy(false);
      markLast();
      if (document.activeElement === document.body) turn.answer.focusRegenerate();
      refreshChatList().catch(() => {});
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
        renderHeader();
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
  return h("main", { class: "conversation" }, heading, persona, meta, panel.element, messages, banner, composer);
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
