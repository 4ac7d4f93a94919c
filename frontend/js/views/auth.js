// Log in and sign up. The server's field errors are shown next to their fields.
import * as api from "../api.js";
import { h } from "../dom.js";
import { errorText, t } from "../i18n.js";
import { languageSelect } from "./language.js";

function field({ label, name, type = "text", autocomplete, required = false, hint }) {
  const id = `field-${name}`;
  const error = h("p", { class: "field-error", id: `${id}-error`, role: "alert" });
  const input = h("input", {
    id,
    name,
    type,
    autocomplete,
    required,
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

function showErrors(fields, formError, error, byStatus) {
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

function authForm({ title, submitLabel, fields, onSubmit, footer, byStatus = {} }) {
  const formError = h("p", { class: "form-error", role: "alert" });
  const submit = h("button", { type: "submit", class: "primary" }, submitLabel);
  const form = h(
    "form",
    {
      class: "card auth",
      novalidate: true,
      onsubmit: async (event) => {
        event.preventDefault();
        submit.disabled = true;
        formError.textContent = "";
        try {
          await onSubmit(Object.fromEntries(fields.map((f) => [f.name, f.input.value.trim()])));
        } catch (error) {
          showErrors(fields, formError, error, byStatus);
        } finally {
          submit.disabled = false;
        }
      },
    },
    h("h1", { tabindex: "-1" }, title),
    fields.map((f) => f.element),
    formError,
    submit,
    footer,
  );
  return h("main", { class: "auth-page" }, h("div", { class: "auth-language" }, languageSelect()), form);
}

export function loginView({ onLoggedIn }) {
  const fields = [
    field({ label: t("auth.email"), name: "email", type: "email", autocomplete: "username", required: true }),
    field({
      label: t("auth.password"),
      name: "password",
      type: "password",
      autocomplete: "current-password",
      required: true,
    }),
  ];
  return authForm({
    title: t("auth.loginTitle"),
    submitLabel: t("auth.loginButton"),
    byStatus: { 401: "auth.wrongCredentials" },
    fields,
    onSubmit: async ({ email, password }) => {
      await api.login(email, password);
      onLoggedIn();
    },
    footer: h("p", { class: "switch" }, t("auth.newHere"), h("a", { href: "#/signup" }, t("auth.createAccount"))),
  });
}

export function signupView({ onLoggedIn }) {
  const fields = [
    field({ label: t("auth.email"), name: "email", type: "email", autocomplete: "email", required: true }),
    field({
      label: t("auth.password"),
      name: "password",
      type: "password",
      autocomplete: "new-password",
      required: true,
      hint: t("auth.passwordHint"),
    }),
    field({ label: t("auth.nickname"), name: "nickname", autocomplete: "nickname" }),
  ];
  return authForm({
    title: t("auth.signupTitle"),
    submitLabel: t("auth.signupButton"),
    fields,
    onSubmit: async (values) => {
      const body = { email: values.email, password: values.password };
      if (values.nickname) body.nickname = values.nickname;
      await api.signup(body);
      await api.login(values.email, values.password);
      onLoggedIn();
    },
    footer: h("p", { class: "switch" }, t("auth.haveAccount"), h("a", { href: "#/login" }, t("auth.logInLink"))),
  });
}
