// One of the person's messages in a conversation: its text and images, `Edit` (an inline editor whose
// Save sends the text as a new version of the message, as a send does) and, once it has versions
// (edits), the "‹ 1 / 2 ›" switcher of views/reply.js, which shows another version's branch.
import { h } from "../dom.js";
import { t } from "../i18n.js";
import { messageImages } from "./images.js";
import { author, toolResultsLine, versionSwitcher } from "./reply.js";

/**
 * `onEdit(text)`: Save was pressed with the new text; `onSwitch(promptId)`: another version was chosen.
 * `show(prompt)` draws a stored message (its versions, Edit); `showText(text)` a text being sent.
 */
export function messageView({ prompt, at, loadImage, onEdit, onSwitch }) {
  let current = prompt;
  let busy = false;
  let editor = null;
  const text = h("div", { class: "text" });
  const editButton = h("button", { type: "button", class: "edit subtle", hidden: true }, t("conversation.edit"));
  const switcher = versionSwitcher({
    labels: { group: t("message.versions"), previous: t("message.previous"), next: t("message.next") },
    position: (number, total) => t("message.position", { number, total }),
    onGo: (target) => onSwitch(current.versions[target].id),
    isBusy: () => busy,
  });
  // On the author's line ("You 14:02 ‹ 1 / 2 › Edit"): the message takes no more room for them.
  const actions = h("span", { class: "message-actions" }, switcher.element, editButton);
  const heading = author(t("conversation.you"), at);
  heading.append(actions);
  const element = h(
    "li",
    { class: "message user" },
    heading,
    toolResultsLine(prompt.tool_results),
    messageImages(prompt.images, loadImage),
    text,
  );
  const toolTurn = Boolean(prompt.tool_results?.length);

  function showText(content) {
    text.textContent = content;
    text.hidden = !content;
  }

  function show(stored) {
    current = stored;
    showText(stored.content);
    const versions = stored.versions || [];
    switcher.show(Math.max(0, versions.findIndex((version) => version.id === stored.id)), versions.length);
    // A tool loop's turn (made through the OpenAI-compatible API) has no text of the person's to edit.
    editButton.hidden = !stored.id || toolTurn;
  }

  function closeEditor() {
    editor?.replaceWith(text);
    editor = null;
    actions.hidden = false;
  }

  function openEditor() {
    if (busy || editor) return;
    const box = h("textarea", { rows: 3, "aria-label": t("conversation.editLabel"), maxlength: 8000 });
    box.value = current.content;
    const save = h("button", { type: "submit", class: "primary" }, t("conversation.save"));
    const cancel = h("button", { type: "button", onclick: () => (closeEditor(), editButton.focus()) });
    cancel.textContent = t("conversation.cancel");
    editor = h(
      "form",
      {
        class: "message-editor",
        onsubmit: (event) => {
          event.preventDefault();
          const content = box.value;
          if (!content.trim() || busy) return;
          closeEditor();
          onEdit(content);
        },
      },
      box,
      h("div", { class: "message-editor-actions" }, cancel, save),
    );
    box.addEventListener("keydown", (event) => {
      if (event.key === "Escape") (closeEditor(), editButton.focus());
      else if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
        event.preventDefault();
        editor.requestSubmit();
      }
    });
    text.replaceWith(editor);
    actions.hidden = true;
    box.focus();
  }

  editButton.addEventListener("click", openEditor);
  showText(prompt.content);
  if (prompt.id) show(prompt);

  return {
    element,
    show,
    showText,
    setBusy(value) {
      busy = value;
      for (const control of [...switcher.controls, editButton]) {
        if (value) control.setAttribute("aria-disabled", "true");
        else control.removeAttribute("aria-disabled");
      }
      if (!value && current.id) show(current);
    },
    focusSwitcher: () => switcher.focus("previous"),
    focusEdit: () => !editButton.hidden && editButton.focus(),
  };
}
