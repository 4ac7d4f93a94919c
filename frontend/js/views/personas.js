// Personas in the new-chat guide: "No persona" or one of the server's, whose variables are asked for
// (required) once it is chosen; and the line that names a chat's persona in its header.
import { loadPersonas } from "../actions/chats.js";
import { h } from "../dom.js";
import { t } from "../i18n.js";

const NONE = "";
const VALUE_MAX_CHARS = 200; // the API's limit for one value

/**
 * A radio group of personas. `element` goes in a form; `validate()` marks and focuses the first
 * empty variable (false) or says all is filled in (true); `choice()` is `{id, values}` or null.
 */
export function personaPicker() {
  let chosen = NONE;
  const variables = new Map(); // persona id -> [{name, input, error}]
  const panels = new Map(); // persona id -> the element holding its variables
  const options = h("div", { class: "persona-options" });
  const status = h("p", { class: "hint", role: "status" }, t("persona.loading"));
  const element = h(
    "fieldset",
    { class: "personas", "aria-describedby": "persona-hint" },
    h("legend", {}, t("persona.legend")),
    h("p", { class: "hint", id: "persona-hint" }, t("persona.hint")),
    options,
    status,
  );

  function choose(id) {
    chosen = id;
    for (const [key, panel] of panels) panel.hidden = key !== id;
  }

  function option({ id, name, description, variables: declared = [] }) {
    const inputId = id === NONE ? "persona-none" : `persona-${id}`;
    const radio = h("input", {
      type: "radio",
      name: "persona",
      id: inputId,
      value: id,
      checked: id === chosen,
      "aria-describedby": description ? `${inputId}-description` : null,
      onchange: () => choose(id),
    });
    const fields = declared.map((variable) => {
      const fieldId = `${inputId}-${variable.name}`;
      const error = h("p", { class: "field-error", id: `${fieldId}-error` });
      const input = h("input", {
        type: "text",
        id: fieldId,
        required: true,
        maxlength: VALUE_MAX_CHARS,
        autocomplete: "off",
        "aria-describedby": error.id,
        oninput: () => {
          input.removeAttribute("aria-invalid");
          error.textContent = "";
        },
      });
      return { name: variable.name, input, error, label: variable.label };
    });
    variables.set(id, fields);
    const panel = fields.length
      ? h(
          "div",
          { class: "persona-variables", hidden: id !== chosen },
          fields.map(({ input, error, label }) =>
            h("div", { class: "field" }, h("label", { for: input.id }, label), input, error),
          ),
        )
      : null;
    if (panel) panels.set(id, panel);
    return h(
      "div",
      { class: "persona-option" },
      h(
        "label",
        { class: "persona-choice", for: inputId },
        radio,
        h(
          "span",
          {},
          h("span", { class: "persona-name" }, name),
          description ? h("span", { class: "hint", id: `${inputId}-description` }, description) : null,
        ),
      ),
      panel,
    );
  }

  options.append(option({ id: NONE, name: t("persona.none"), description: t("persona.noneHint") }));
  loadPersonas().then(
    (personas) => {
      status.textContent = "";
      if (!personas.length) element.hidden = true; // nothing to choose from
      options.append(...personas.map(option));
    },
    () => (status.textContent = t("persona.loadFailed")),
  );

  return {
    element,
    validate() {
      const empty = (variables.get(chosen) || []).filter(({ input }) => !input.value.trim());
      for (const { input, error } of empty) {
        input.setAttribute("aria-invalid", "true");
        error.textContent = t("persona.required");
      }
      empty[0]?.input.focus();
      return empty.length === 0;
    },
    choice() {
      if (chosen === NONE) return null;
      const values = Object.fromEntries((variables.get(chosen) || []).map(({ name, input }) => [name, input.value.trim()]));
      return { id: chosen, values };
    },
    focus() {
      element.querySelector("input[name=persona]:checked")?.focus();
    },
  };
}

/** "Persona: Language tutor (Korean, beginner)" for a chat started from one, else null. */
export function personaLine(persona) {
  if (!persona) return null;
  const values = Object.values(persona.values || {}).filter(Boolean);
  return h(
    "p",
    { class: "chat-persona" },
    h("span", { class: "label" }, t("persona.header")),
    " ",
    h("strong", {}, persona.name),
    values.length ? ` (${values.join(", ")})` : null,
  );
}
