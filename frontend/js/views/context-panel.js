// What the assistant knows and how it answers, in a conversation: the context (current situation,
// goal, anything else), the system prompt, model and temperature; Edit changes them with one PATCH.
import { loadModels } from "../actions/chats.js";
import { h } from "../dom.js";
import { t } from "../i18n.js";
import { errorText } from "../i18n/errors.js";
import { formatNumber } from "../i18n/format.js";

const CONTEXT_KINDS = ["current_state", "goal", "misc"];
const CONTEXT_MAX_CHARS = 2000; // the API's limits
const SYSTEM_PROMPT_MAX_CHARS = 4000;

/**
 * The panel of a chat. `update(chat)` shows a chat detail; Save hands what changed to `onSave(fields)`,
 * which resolves to the chat as the server has it after the save, or rejects with the refusal (its
 * field errors are shown by their fields). The panel stays open or closed as the person left it.
 */
export function contextPanel({ onSave }) {
  let chat = null;
  const status = h("p", { class: "hint saved", role: "status" });
  const body = h("div", { class: "context-body" });
  const summary = h("summary", {}, t("context.summary"));
  const details = h("details", { class: "context-panel" }, summary, body);
  const element = h("section", { class: "context", "aria-label": t("context.label") }, details);

  function value(text) {
    return text ? h("dd", {}, text) : h("dd", { class: "unset" }, t("context.unset"));
  }

  function showValues({ focusEdit = false } = {}) {
    const edit = h("button", { type: "button", class: "edit", onclick: () => showForm() }, t("context.edit"));
    body.replaceChildren(
      h(
        "dl",
        {},
        CONTEXT_KINDS.map((kind) => [h("dt", {}, t(`conversation.${kind}`)), value(chat.context[kind])]),
        h("dt", {}, t("context.systemPrompt")),
        value(chat.config.system_prompt),
        h("dt", {}, t("context.model")),
        value(chat.config.model),
        h("dt", {}, t("context.temperatureShort")),
        value(formatNumber(Number(chat.config.temperature))),
      ),
      h("p", { class: "hint" }, t("context.note")),
      h("div", { class: "actions start" }, edit, status),
    );
    if (focusEdit) edit.focus();
  }

  function textField(id, label, text, maxlength, rows = 2) {
    const error = h("p", { class: "field-error", id: `${id}-error` });
    const input = h("textarea", { id, rows, maxlength, "aria-describedby": error.id });
    input.value = text || "";
    return { input, error, field: h("div", { class: "field" }, h("label", { for: id }, label), input, error) };
  }

  function showForm() {
    status.textContent = "";
    const context = Object.fromEntries(
      CONTEXT_KINDS.map((kind) => [
        kind,
        textField(`context-${kind}`, t(`conversation.${kind}`), chat.context[kind], CONTEXT_MAX_CHARS),
      ]),
    );
    const systemPrompt = textField("context-system-prompt", t("context.systemPrompt"), chat.config.system_prompt, SYSTEM_PROMPT_MAX_CHARS, 4);
    const modelError = h("p", { class: "field-error", id: "context-model-error" });
    const model = h(
      "select",
      { id: "context-model", "aria-describedby": modelError.id },
      h("option", { value: chat.config.model, selected: true }, chat.config.model),
    );
    loadModels().then(
      (available) => {
        const chosen = model.value;
        // The chat's own model stays on offer even if the server no longer lists it.
        const names = available.models.includes(chosen) ? available.models : [chosen, ...available.models];
        model.replaceChildren(...names.map((name) => h("option", { value: name, selected: name === chosen }, name)));
      },
      () => {}, // the chat's own model is still there to keep
    );
    const temperatureError = h("p", { class: "field-error", id: "context-temperature-error" });
    const temperature = h("input", {
      id: "context-temperature",
      type: "number",
      min: 0,
      max: 2,
      step: 0.1,
      value: String(Number(chat.config.temperature)),
      "aria-describedby": temperatureError.id,
    });
    const formError = h("p", { class: "form-error", role: "alert" });
    const fieldErrors = {
      context: Object.fromEntries(CONTEXT_KINDS.map((kind) => [kind, context[kind]])),
      config: {
        system_prompt: systemPrompt,
        model: { input: model, error: modelError },
        temperature: { input: temperature, error: temperatureError },
      },
    };
    const save = h("button", { type: "submit", class: "primary" }, t("conversation.save"));
    const cancel = () => showValues({ focusEdit: true });

    function clearErrors() {
      formError.textContent = "";
      for (const group of Object.values(fieldErrors)) {
        for (const { input, error } of Object.values(group)) {
          input.removeAttribute("aria-invalid");
          error.textContent = "";
        }
      }
    }

    function markInvalid(group, name, message) {
      const target = fieldErrors[group]?.[name];
      if (!target) return null;
      target.input.setAttribute("aria-invalid", "true");
      target.error.textContent = message;
      return target.input;
    }

    /** Only what changed is sent: an empty context field removes that context. */
    function changes() {
      const fields = {};
      const newContext = {};
      for (const kind of CONTEXT_KINDS) {
        const text = context[kind].input.value.trim();
        if (text !== (chat.context[kind] || "")) newContext[kind] = text;
      }
      if (Object.keys(newContext).length) fields.context = newContext;
      const config = {};
      if (systemPrompt.input.value !== (chat.config.system_prompt || "")) config.system_prompt = systemPrompt.input.value;
      if (model.value && model.value !== chat.config.model) config.model = model.value;
      const temperatureValue = Number(temperature.value);
      if (temperatureValue !== Number(chat.config.temperature)) config.temperature = temperatureValue;
      if (Object.keys(config).length) fields.config = config;
      return fields;
    }

    async function submit() {
      clearErrors();
      const text = temperature.value.trim();
      const number = Number(text);
      if (text === "" || !Number.isFinite(number) || number < 0 || number > 2) {
        markInvalid("config", "temperature", t("context.temperatureRange"));
        formError.textContent = t("errors.checkInput");
        temperature.focus();
        return;
      }
      const fields = changes();
      if (!Object.keys(fields).length) {
        showValues({ focusEdit: true });
        return;
      }
      save.setAttribute("aria-busy", "true");
      save.disabled = true;
      try {
        chat = await onSave(fields);
        showValues({ focusEdit: true });
        status.textContent = t("context.saved");
      } catch (failure) {
        save.removeAttribute("aria-busy");
        save.disabled = false;
        let first = null;
        for (const group of ["context", "config"]) {
          const errors = failure.fields?.[group];
          if (!errors || typeof errors !== "object" || Array.isArray(errors)) continue;
          for (const [name, messages] of Object.entries(errors)) {
            first ||= markInvalid(group, name, [messages].flat().join(" "));
          }
        }
        formError.textContent = first ? t("errors.checkInput") : errorText(failure);
        (first || save).focus();
      }
    }

    const form = h(
      "form",
      {
        class: "context-form",
        novalidate: true,
        onsubmit: (event) => (event.preventDefault(), submit()),
        onkeydown: (event) => event.key === "Escape" && (event.preventDefault(), cancel()),
      },
      h("fieldset", {}, h("legend", {}, t("context.aboutYou")), CONTEXT_KINDS.map((kind) => context[kind].field)),
      h(
        "fieldset",
        {},
        h("legend", {}, t("context.settings")),
        systemPrompt.field,
        h("div", { class: "field" }, h("label", { for: model.id }, t("context.model")), model, modelError),
        h(
          "div",
          { class: "field" },
          h("label", { for: temperature.id }, t("context.temperature")),
          temperature,
          temperatureError,
        ),
      ),
      h("p", { class: "hint" }, t("context.formNote")),
      formError,
      h("div", { class: "actions" }, h("button", { type: "button", onclick: cancel }, t("conversation.cancel")), save),
    );
    body.replaceChildren(form);
    details.open = true;
    context.current_state.input.focus();
  }

  return {
    element,
    update(next) {
      if (next === chat) return;
      // An edit under way is not thrown away; the values show the new chat once it ends.
      const editing = Boolean(body.querySelector("form"));
      chat = next;
      if (!editing) showValues();
    },
  };
}
