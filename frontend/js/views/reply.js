// One answer in a conversation: the reply as markdown, Copy, and (after Regenerate) every version
// with a "‹ 2 / 3 ›" switcher, the newest shown first; Regenerate itself on the chat's last answer.
// The switcher (`versionSwitcher`) is a message's too: its edits (views/conversation.js).
import { h } from "../dom.js";
import { t } from "../i18n.js";
import { formatDateTime, formatTime } from "../i18n/format.js";
import { renderMarkdown } from "../markdown.js";
import { withCodeTools } from "./code-block.js";
import { copyToClipboard } from "./copy.js";

const FEEDBACK_MS = 2000;

/** "You 14:02": who wrote a message, and when (now, for one still being written). */
export function author(name, at) {
  const element = h("p", { class: "author" }, name, h("time"));
  setTime(element.lastChild, at);
  return element;
}

function setTime(time, at) {
  const date = at ? new Date(at) : new Date();
  time.setAttribute("datetime", date.toISOString());
  time.title = formatDateTime(date);
  time.textContent = formatTime(date);
}

/** Every answer a prompt has, oldest first (`replies`; an older server gives only `reply`). */
export function answersOf(prompt) {
  if (prompt?.replies?.length) return prompt.replies;
  return prompt?.reply ? [prompt.reply] : [];
}

export const answerText = (reply) => reply?.choices?.[0]?.content ?? "";
const toolCallsOf = (reply) => reply?.choices?.[0]?.tool_calls ?? [];

/** A collapsed "called `get_weather`" line; opened, each call with its arguments. Null without calls. */
export function toolCallsLine(calls) {
  if (!calls.length) return null;
  const names = [...new Set(calls.map((call) => call.function.name))];
  const [before, after] = t("reply.called", { names: "\u0001" }).split("\u0001");
  const codes = names.flatMap((name, index) => [index ? ", " : null, h("code", {}, name)]);
  const summary = h("summary", {}, before, ...codes, after);
  const each = calls.map((call) => h("pre", {}, `${call.function.name}(${call.function.arguments})`));
  return h("details", { class: "tool-calls" }, summary, ...each);
}

/** A collapsed line for the tool results a turn sent ("2 tool results"); null without any. */
export function toolResultsLine(results) {
  if (!results?.length) return null;
  const summary = h("summary", {}, t("reply.toolResults", { count: results.length }));
  const each = results.map((result) => h("pre", {}, `${result.tool_call_id}: ${result.content}`));
  return h("details", { class: "tool-calls" }, summary, ...each);
}
const stopped = (reply) => reply?.choices?.[0]?.finish_reason === "cancelled";

/**
 * The assistant's side of one turn. `show(prompt)` shows its answers (the newest); `write(text)`
 * shows an answer being written (streamed); `restore()` goes back to the answer shown before;
 * `setLast(bool)` offers Regenerate (calling `onRegenerate`); `setBusy(bool)` holds the buttons
 * while any answer is being written.
 */
export function answerView({ onRegenerate }) {
  let replies = [];
  let shown = 0;
  let busy = false;
  let copyTimer = 0;

  const time = h("time");
  const body = h("div", { class: "text markdown" });
  const calls = h("div", { class: "tool-calls-slot" });
  const note = h("p", { class: "note", hidden: true });
  const olderNote = h("p", { class: "note", hidden: true }, t("reply.olderShown"));

  const button = (className, label, onclick, attributes = {}) =>
    h("button", { type: "button", class: className, ...attributes, onclick: () => !busy && onclick() }, label);
  const versions = versionSwitcher({
    labels: { group: t("reply.versions"), previous: t("reply.previous"), next: t("reply.next") },
    position: (number, total) => t("reply.position", { number, total }),
    onGo: (target) => {
      shown = target;
      render();
    },
    isBusy: () => busy,
  });
  const copyButton = button("copy", t("reply.copy"), () => copy());
  const copyStatus = h("span", { class: "copy-status", role: "status" });
  const regenerate = button("regenerate", t("reply.regenerate"), () => onRegenerate(), { hidden: true });
  const actions = h(
    "div",
    { class: "reply-actions", hidden: true },
    versions.element,
    copyButton,
    regenerate,
    copyStatus,
  );

  const element = h(
    "li",
    { class: "message assistant" },
    h("p", { class: "author" }, t("conversation.assistant"), time),
    body,
    calls,
    note,
    olderNote,
    actions,
  );

  function render() {
    const reply = replies[shown];
    element.classList.remove("pending");
    element.removeAttribute("aria-busy");
    body.replaceChildren(withCodeTools(renderMarkdown(answerText(reply))));
    calls.replaceChildren(...[toolCallsLine(toolCallsOf(reply))].filter(Boolean));
    setTime(time, reply?.created_at);
    note.hidden = !stopped(reply);
    note.textContent = note.hidden ? "" : t("conversation.stopped");
    olderNote.hidden = shown === replies.length - 1;
    actions.hidden = replies.length === 0;
    versions.show(shown, replies.length);
  }

  async function copy() {
    clearTimeout(copyTimer);
    const copied = await copyToClipboard(answerText(replies[shown]), body);
    copyButton.textContent = copied ? t("reply.copied") : t("reply.copy");
    copyStatus.textContent = copied ? "" : t("reply.copyByHand");
    copyTimer = setTimeout(
      () => {
        copyButton.textContent = t("reply.copy");
        copyStatus.textContent = "";
      },
      copied ? FEEDBACK_MS : 4 * FEEDBACK_MS,
    );
  }

  return {
    element,
    show(prompt) {
      replies = answersOf(prompt);
      shown = Math.max(0, replies.length - 1);
      render();
    },
    /** An answer stopped after `text` (kept, as the server keeps it); nothing shown: nothing kept. */
    showStopped(text) {
      if (text) {
        const reply = { created_at: new Date().toISOString(), choices: [{ content: text, finish_reason: "cancelled" }] };
        replies = [...replies, reply];
        shown = replies.length - 1;
      }
      if (replies.length) {
        render();
      } else {
        element.classList.remove("pending");
        element.removeAttribute("aria-busy");
        note.hidden = false;
        note.textContent = t("conversation.stopped");
      }
    },
    write(text) {
      element.classList.add("pending");
      element.setAttribute("aria-busy", "true");
      body.replaceChildren(withCodeTools(renderMarkdown(text)));
      calls.replaceChildren();
      note.hidden = true;
      olderNote.hidden = true;
    },
    restore: render,
    setLast(last) {
      regenerate.hidden = !last;
    },
    setBusy(value) {
      busy = value;
      for (const control of [...versions.controls, copyButton, regenerate]) {
        if (value) control.setAttribute("aria-disabled", "true");
        else control.removeAttribute("aria-disabled");
      }
      regenerate.setAttribute("aria-busy", String(value));
      if (!value && replies.length) render();
    },
    focusRegenerate() {
      regenerate.focus();
    },
    get hasAnswer() {
      return replies.length > 0;
    },
  };
}

/**
 * A "‹ 2 / 3 ›" switcher (an answer's versions, a message's): `show(index, total)` draws it (hidden
 * below two); `onGo(target)` is called when the person steps to another, unless `isBusy()`.
 */
export function versionSwitcher({ labels, position, onGo, isBusy = () => false }) {
  let index = 0;
  let total = 0;
  const go = (step) => {
    const target = index + step;
    if (isBusy() || target < 0 || target >= total) return;
    onGo(target);
  };
  const button = (className, label, arrow, step) =>
    h("button", { type: "button", class: className, "aria-label": label, onclick: () => go(step) }, arrow);
  const previous = button("previous", labels.previous, "‹", -1);
  const next = button("next", labels.next, "›", 1);
  const counter = h("span", { class: "counter", "aria-hidden": "true" });
  const spoken = h("span", { class: "visually-hidden", "aria-live": "polite" });
  const element = h(
    "div",
    { class: "versions", role: "group", "aria-label": labels.group },
    previous,
    counter,
    spoken,
    next,
  );
  return {
    element,
    controls: [previous, next],
    show(shownIndex, count) {
      index = shownIndex;
      total = count;
      element.hidden = count < 2;
      counter.textContent = `${index + 1} / ${total}`;
      spoken.textContent = position(index + 1, total);
      // aria-disabled, not disabled: a disabled button would lose the keyboard focus at either end.
      previous.setAttribute("aria-disabled", String(index === 0));
      next.setAttribute("aria-disabled", String(index === total - 1));
    },
    focus(which) {
      (which === "previous" ? previous : next).focus();
    },
  };
}
