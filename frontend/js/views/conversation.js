// One chat on the page: its heading (Rename, Share, Export, Delete), persona and settings line, the panel of
// what the assistant knows, the messages (each of yours with Edit and its versions, views/message.js; each
// answer with Copy, the last with Regenerate; older pages above, loaded on scrolling up) and the
// message box (Enter sends, Shift+Enter new line; images attached, pasted or dropped) with Stop. It
// draws what its controller (controllers/conversation.js) gives it and reports what the person did;
// it asks the server nothing.
import { clear, h } from "../dom.js";
import { t } from "../i18n.js";
import { errorText } from "../i18n/errors.js";
import { formatDateTime, formatNumber } from "../i18n/format.js";
import { chatTitle } from "../state.js";
import { attachmentsPicker } from "./attachments.js";
import { contextPanel } from "./context-panel.js";
import { copyToClipboard } from "./copy.js";
import { noticeBox } from "./form.js";
import { personaLine } from "./personas.js";
import { messageView } from "./message.js";
import { answersOf, answerView } from "./reply.js";

/**
 * The handlers get what the person did: `onSend(text, images)` (the attached File objects), `onStop()`,
 * `onRegenerate()` (the last answer), `onEdit(turn, text)` and `onSwitchVersion(turn, promptId)` (a
 * message's new version, another version's branch), `onLoadOlder()` (scrolled to the top),
 * `onRename(title)`, `onDelete()` (confirmed), `onExport()`, `onShare()` (resolves to `{url}`),
 * `onUnshare()`, and `onSaveContext(fields)`, which
 * resolves to the saved chat or rejects with the refusal (the panel shows its field errors).
 * A drawn turn (`addPendingTurn`, `showMessages`) has its `answer` (reply.js) and `stream(text)`.
 * `loadImage(image)` resolves to a URL that shows a stored image (a prompt's `images` entry).
 */
export function conversationView({
  onSend,
  onStop,
  onRegenerate,
  onEdit,
  onSwitchVersion,
  onLoadOlder,
  onRename,
  onDelete,
  onExport,
  onShare,
  onUnshare,
  onSaveContext,
  loadImage,
}) {
  const title = h("h1", { class: "chat-title", tabindex: "-1" }, t("conversation.loading"));
  const persona = h("div", { class: "persona-slot" });
  const meta = h("p", { class: "chat-meta" });
  // The model's summary of the turns that no longer fit its window: closed, opened on demand.
  const summaryText = h("p", { class: "text" });
  const summary = h(
    "details",
    { class: "chat-summary", hidden: true },
    h("summary", {}, t("conversation.summarised")),
    h("p", { class: "hint" }, t("conversation.summarisedHint")),
    summaryText,
  );
  const panel = contextPanel({ onSave: onSaveContext });
  panel.element.hidden = true;
  const messages = h("ol", { class: "messages", "aria-label": t("conversation.label") });
  // Older turns than those shown: loaded when the person scrolls to the top, or with this button.
  const olderButton = h("button", { type: "button", class: "load-older subtle", hidden: true });
  olderButton.textContent = t("conversation.loadOlder");
  olderButton.addEventListener("click", () => onLoadOlder());
  const banner = h("div", { class: "banner", role: "alert", hidden: true });
  // A streamed answer is read out once, when it is complete: the answer itself is no live region.
  const announcer = h("p", { class: "visually-hidden", role: "status" });
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
  const share = sharePanel({ onShare, onUnshare });
  const heading = h("div", { class: "chat-heading" }, title, renameButton, share.button, exportButton, deleteButton);
  // To the end of the conversation: the composer's place, so it covers none of the last answer (it is
  // sticky: scrolling the answer's end to the bottom edge would put that end under it).
  const scrollToEnd = () => element.scrollTo({ top: element.scrollHeight });
  let shownChat = null; // the chat as drawn last: Rename starts from its title
  let renameForm = null;
  const turns = []; // the turns as drawn, oldest first

  function showBanner(text, retry) {
    clear(banner);
    banner.append(h("span", {}, text));
    if (retry) banner.append(h("button", { type: "button", onclick: retry }, t("conversation.retry")));
    banner.hidden = false;
  }

  function showChat(chat) {
    shownChat = chat;
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
    showSummary(chat);
  }

  function showSummary(chat) {
    summary.hidden = !chat.summary;
    summaryText.textContent = chat.summary ? chat.summary.content : "";
  }

  function drawTurn(prompt, at, { before = null } = {}) {
    const answer = answerView({ onRegenerate });
    let frame = 0;
    const turn = {
      answer,
      toolTurn: Boolean(prompt.tool_results?.length),
      /** The answer so far, drawn once per frame while it streams. */
      stream(text) {
        cancelAnimationFrame(frame);
        frame = requestAnimationFrame(() => {
          answer.write(text);
          scrollToEnd();
        });
      },
      endStream: () => cancelAnimationFrame(frame),
    };
    turn.message = messageView({
      prompt,
      at,
      loadImage,
      onEdit: (text) => onEdit(turn, text),
      onSwitch: (promptId) => onSwitchVersion(turn, promptId),
    });
    turn.user = turn.message.element;
    if (before) {
      turns.splice(turns.indexOf(before), 0, turn);
      before.user.before(turn.user, answer.element);
    } else {
      turns.push(turn);
      messages.append(turn.user, answer.element);
    }
    return turn;
  }

  function drawStored(prompt, options) {
    const turn = drawTurn(prompt, prompt.created_at, options);
    turn.answer.show(prompt);
    turn.answer.element.hidden = !answersOf(prompt).length;
    turn.shownVersions = (prompt.versions || []).map((version) => version.id);
    return turn;
  }

  /** Regenerate is offered on the last answer only: the server answers again only the last message. */
  function markLast() {
    // A tool loop's turn (made through the OpenAI-compatible API) is answered again by its client, not here.
    const last = (turn, index) => index === turns.length - 1 && turn.answer.hasAnswer && !turn.toolTurn;
    turns.forEach((turn, index) => turn.answer.setLast(last(turn, index)));
  }

  function openRename() {
    const input = h("input", {
      type: "text",
      "aria-label": t("conversation.chatTitle"),
      value: shownChat?.title || "",
      maxlength: 200,
    });
    const form = h(
      "form",
      { class: "rename", onsubmit: (event) => (event.preventDefault(), onRename(input.value.trim())) },
      input,
      h("button", { type: "submit", class: "primary" }, t("conversation.save")),
      h("button", { type: "button", onclick: () => form.replaceWith(heading) }, t("conversation.cancel")),
    );
    input.addEventListener("keydown", (event) => event.key === "Escape" && form.replaceWith(heading));
    renameForm = form;
    heading.replaceWith(form);
    input.focus();
    input.select();
  }

  stop.addEventListener("click", () => onStop());
  box.addEventListener("keydown", (event) => {
    if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
      event.preventDefault();
      onSend(box.value, attachments.files());
    }
  });
  renameButton.addEventListener("click", openRename);
  deleteButton.addEventListener("click", () => window.confirm(t("conversation.deleteConfirm")) && onDelete());
  exportButton.addEventListener("click", async () => {
    exportButton.setAttribute("aria-busy", "true");
    await onExport();
    exportButton.removeAttribute("aria-busy");
  });

  const composer = h(
    "form",
    { class: "composer", onsubmit: (event) => (event.preventDefault(), onSend(box.value, attachments.files())) },
  );
  const attachments = attachmentsPicker({ box, dropZone: composer, onRefused: (text) => showBanner(text) });
  composer.append(
    attachments.list,
    box,
    h("div", { class: "composer-actions" }, attachments.button, attachments.input, stop, send),
  );
  const element = h(
    "main",
    { class: "conversation" },
    heading,
    share.element,
    persona,
    meta,
    panel.element,
    summary,
    olderButton,
    messages,
    banner,
    composer,
    announcer,
  );

  element.addEventListener("scroll", () => {
    if (!olderButton.hidden && element.scrollTop < 120) onLoadOlder();
  });

  const thumbnails = []; // blob: URLs of the images of messages sent from this page

  return {
    element,
    /** Give back the memory of the sent images' thumbnails (the page is left). */
    releaseThumbnails: () => thumbnails.splice(0).forEach((url) => URL.revokeObjectURL(url)),
    showChat,
    showSummary,
    /** Only the heading's title (the first message named the chat). */
    showTitle(chat) {
      shownChat = chat;
      title.textContent = chatTitle(chat);
    },
    showLoadFailed(error) {
      title.textContent = error.status === 404 ? t("conversation.notFoundTitle") : t("conversation.loadFailedTitle");
      showBanner(error.status === 404 ? t("conversation.notFound") : errorText(error));
      send.disabled = true;
      exportButton.disabled = true;
      share.button.disabled = true;
    },
    /** The stored messages and their answers (`older`: more before them); returns the drawn turns, oldest first. */
    showMessages(prompts, { older = false } = {}) {
      clear(messages);
      turns.length = 0;
      for (const prompt of prompts) drawStored(prompt);
      olderButton.hidden = !older;
      markLast();
      scrollToEnd();
      return [...turns];
    },
    /** Older turns above those shown, the scroll position kept; returns them as drawn, oldest first. */
    prependMessages(prompts, { older = false } = {}) {
      const fromBottom = element.scrollHeight - element.scrollTop;
      const first = turns[0] || null;
      const drawn = prompts.map((prompt) => drawStored(prompt, first ? { before: first } : {}));
      olderButton.hidden = !older;
      element.scrollTop = element.scrollHeight - fromBottom;
      markLast();
      return drawn;
    },
    /** An edit starts a new branch here: the turns after `turn` are another branch's now. */
    dropTurnsAfter(turn) {
      for (const later of turns.splice(turns.indexOf(turn) + 1)) {
        later.user.remove();
        later.answer.element.remove();
      }
    },
    /** The turn of message `promptId` (one of its versions) into view, its switcher focused. */
    revealVersion(promptId) {
      const turn = turns.find((candidate) => candidate.shownVersions?.includes(promptId));
      if (!turn) return;
      turn.user.scrollIntoView({ block: "center" });
      turn.message.focusSwitcher();
    },
    /** A message just sent (with its image files), its answer still to come. */
    addPendingTurn(content, files = []) {
      const images = files.map((file) => ({ src: URL.createObjectURL(file) }));
      thumbnails.push(...images.map((image) => image.src));
      const turn = drawTurn({ content, images });
      turn.answer.write("");
      scrollToEnd();
      markLast();
      return turn;
    },
    removeTurn(turn) {
      turns.splice(turns.indexOf(turn), 1);
      turn.user.remove();
      turn.answer.element.remove();
    },
    markLast,
    /** While an answer is being written, Stop shows and the other answers' buttons wait. */
    setBusy(busy) {
      send.disabled = busy;
      stop.hidden = !busy;
      turns.forEach((turn) => (turn.answer.setBusy(busy), turn.message.setBusy(busy)));
    },
    /** Read out a finished answer (a status message: once, politely). */
    announce(text) {
      announcer.textContent = "";
      requestAnimationFrame(() => (announcer.textContent = text));
    },
    showBanner,
    hideBanner: () => (banner.hidden = true),
    closeRename: () => renameForm?.replaceWith(heading),
    draft: () => box.value,
    setDraft: (text) => (box.value = text),
    attachedImages: () => attachments.files(),
    setAttachedImages: (files) => attachments.set(files),
    focusMessageBox: () => box.focus(),
    /** Back to Regenerate, if the focus was lost while its answer was written. */
    refocusRegenerate(turn) {
      if (document.activeElement === document.body) turn.answer.focusRegenerate();
    },
  };
}

/**
 * `Share`: makes (or shows again) the chat's read-only link, with `Copy link` and `Stop sharing`.
 * Failures show in the panel itself.
 */
function sharePanel({ onShare, onUnshare }) {
  const button = h("button", { type: "button", "aria-expanded": "false", "aria-controls": "share-panel" });
  button.textContent = t("share.button");
  const status = h("p", { class: "share-status", role: "status" });
  const input = h("input", { id: "share-url", type: "url", readonly: true, class: "share-url" });
  const copyButton = h("button", { type: "button", class: "primary" }, t("share.copy"));
  const stopButton = h("button", { type: "button", class: "danger subtle" }, t("share.stop"));
  const closeButton = h("button", { type: "button" }, t("share.close"));
  const link = h(
    "div",
    { class: "share-link", hidden: true },
    h("p", { class: "hint" }, t("share.hint")),
    h("label", { for: "share-url" }, t("share.link")),
    h("div", { class: "share-row" }, input, copyButton, stopButton, closeButton),
  );
  const element = h(
    "section",
    { id: "share-panel", class: "share-panel", "aria-label": t("share.title"), hidden: true },
    link,
    status,
  );
  let copyTimer = 0;

  function close() {
    element.hidden = true;
    button.setAttribute("aria-expanded", "false");
    button.focus();
  }

  async function busy(control, action) {
    if (control.getAttribute("aria-busy") === "true") return;
    control.setAttribute("aria-busy", "true");
    try {
      await action();
    } catch (error) {
      status.textContent = errorText(error);
    } finally {
      control.removeAttribute("aria-busy");
    }
  }

  button.addEventListener("click", () => {
    if (!element.hidden && !link.hidden) return close();
    busy(button, async () => {
      status.textContent = "";
      element.hidden = false;
      button.setAttribute("aria-expanded", "true");
      const { url } = await onShare();
      input.value = url;
      link.hidden = false;
      input.focus();
      input.select();
    });
  });
  copyButton.addEventListener("click", async () => {
    clearTimeout(copyTimer);
    const copied = await copyToClipboard(input.value, input);
    status.textContent = copied ? t("share.copied") : t("share.copyByHand");
    copyTimer = setTimeout(() => (status.textContent = ""), 4000);
  });
  stopButton.addEventListener("click", () =>
    busy(stopButton, async () => {
      await onUnshare();
      link.hidden = true;
      input.value = "";
      status.textContent = t("share.stopped");
      button.setAttribute("aria-expanded", "false");
      button.focus();
    }),
  );
  closeButton.addEventListener("click", close);
  element.addEventListener("keydown", (event) => event.key === "Escape" && close());
  return { button, element };
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
