// Form pieces the views share: a labelled field with its hint and error, the server's field errors
// shown next to their fields, and a page's notice.
import { h } from "../dom.js";
import { t } from "../i18n.js";
import { errorText } from "../i18n/errors.js";

export function field({ label, name, type = "text", autocomplete, required = false, hint, value }) {
  const id = `field-${name}`;
  const error = h("p", { class: "field-error", id: `${id}-error`, role: "alert" });
  const input = h("input", {
    id,
    name,
    type,
    autocomplete,
    required,
    value,
    "aria-describedby": `${id}-error${hint ? ` ${id}-hint` : ""}`,
  });
  return {
    name,
    input,
    error,
    element: h(
      "div",
      { class: "field" },
      h("label", { for: id }, label),
      input,
      hint ? h("p", { class: "hint", id: `${id}-hint` }, hint) : null,
      error,
    ),
  };
}

/** A failed request's field errors next to their fields; anything else in `formError`. */
/** A password being chosen (sign-up, reset, change): the browser may suggest one; the rules are hinted. */
export function newPasswordField({ label, name = "new_password" }) {
  return field({
    label,
    name,
    type: "password",
    autocomplete: "new-password",
    required: true,
    hint: t("auth.passwordHint"),
  });
}

export function showErrors(fields, formError, error, byStatus = {}) {
  let shown = false;
  for (const f of fields) {
    const messages = error.fields?.[f.name];
    f.error.textContent = messages ? [].concat(messages).join(" ") : "";
    f.input.setAttribute("aria-invalid", messages ? "true" : "false");
    shown ||= Boolean(messages);
  }
  const others = Object.entries(error.fields || {}).filter(([name]) => !fields.some((f) => f.name === name));
  formError.textContent = shown && !others.length ? "" : errorText(error, { byStatus });
}

export function clearErrors(fields, formError) {
  for (const f of fields) {
    f.error.textContent = "";
    f.input.setAttribute("aria-invalid", "false");
  }
  formError.textContent = "";
}

/** The store's notice for this page (see state.js), or nothing. Errors are alerts, news a status. */
export function noticeBox(notice) {
  if (!notice) return null;
  const tone = notice.tone === "error" ? "error" : "info";
  return h("p", { class: `notice ${tone}`, role: tone === "error" ? "alert" : "status" }, notice.text());
}
