// The signed-out pages: log in and sign up (with GitHub and Kakao where enabled), and a forgotten
// password: ask for a reset link, then set a new password from it. The server's field errors are
// shown next to their fields.
import {
  loadSignupPolicy,
  loadSocialProviders,
  logIn,
  requestPasswordReset,
  resetPassword,
  signUp,
} from "../actions/account.js";
import { h } from "../dom.js";
import { t } from "../i18n.js";
import { providerName, startSocialLogin } from "../social.js";
import { field, newPasswordField, noticeBox, showErrors } from "./form.js";
import { languageSelect } from "./language.js";
import { themeSelect } from "./theme.js";

/** A page of its own (no top bar), with the theme and language switches in its corner. */
export function standalonePage(...children) {
  const switches = h("div", { class: "auth-language" }, themeSelect(), languageSelect());
  return h("main", { class: "auth-page" }, switches, ...children);
}

function authForm({ title, intro, notice, submitLabel, fields, after, onSubmit, social, footer, byStatus = {} }) {
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
    noticeBox(notice),
    intro ? h("p", { class: "hint" }, intro) : null,
    fields.map((f) => f.element),
    after,
    formError,
    submit,
    social,
    footer,
  );
  return standalonePage(form);
}

/** `Continue with GitHub` and the like, one per provider the server enables; nothing if none is.
 * `invite()`: the invite code to carry through the provider's round trip (sign-up page). */
function socialButtons({ invite = () => "" } = {}) {
  const error = h("p", { class: "form-error", role: "alert" });
  const box = h("div", { class: "social-login", hidden: true });
  loadSocialProviders().then((providers) => {
    if (!providers.length) return;
    box.append(
      h("p", { class: "divider" }, h("span", {}, t("auth.or"))),
      ...providers.map((provider) =>
        h(
          "button",
          {
            type: "button",
            class: `social-button ${provider.id}`,
            onclick: async () => {
              error.textContent = "";
              try {
                await startSocialLogin(provider.id, { invite: invite() });
              } catch {
                error.textContent = t("errors.unexpected");
              }
            },
          },
          t("social.continue", { provider: providerName(provider.id, provider.name) }),
        ),
      ),
      error,
    );
    box.hidden = false;
  });
  return box;
}

export function loginView({ onLoggedIn, notice }) {
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
    notice,
    submitLabel: t("auth.loginButton"),
    byStatus: { 401: "auth.wrongCredentials" },
    fields,
    after: h("p", { class: "forgot" }, h("a", { href: "#/forgot-password" }, t("auth.forgotPassword"))),
    onSubmit: async ({ email, password }) => {
      await logIn(email, password);
      onLoggedIn();
    },
    social: socialButtons(),
    footer: h("p", { class: "switch" }, t("auth.newHere"), h("a", { href: "#/signup" }, t("auth.createAccount"))),
  });
}

/** The invite code a shared link carries: `#/signup?invite=K7QM-3XHD-P9TW-R2FN`. */
function inviteFromLink() {
  const query = location.hash.split("?")[1] || "";
  return new URLSearchParams(query).get("invite") || "";
}

export function signupView({ onLoggedIn, notice }) {
  const invite = field({
    label: t("auth.inviteCode"),
    name: "invite_code",
    autocomplete: "off",
    hint: t("auth.inviteHint"),
    value: inviteFromLink(),
  });
  invite.element.hidden = true; // shown when the server says sign-up is by invitation
  const email = field({ label: t("auth.email"), name: "email", type: "email", autocomplete: "email", required: true });
  const fields = [
    invite,
    email,
    newPasswordField({ label: t("auth.password"), name: "password" }),
    field({ label: t("auth.nickname"), name: "nickname", autocomplete: "nickname" }),
  ];
  const closed = h("p", { class: "notice info", role: "status", hidden: true }, t("auth.signupClosed"));
  const page = authForm({
    title: t("auth.signupTitle"),
    notice,
    submitLabel: t("auth.signupButton"),
    fields,
    after: closed,
    onSubmit: async (values) => {
      await signUp(values);
      onLoggedIn();
    },
    social: socialButtons({ invite: () => (invite.element.hidden ? "" : invite.input.value.trim()) }),
    footer: h("p", { class: "switch" }, t("auth.haveAccount"), h("a", { href: "#/login" }, t("auth.logInLink"))),
  });
  loadSignupPolicy()
    .then((policy) => {
      invite.element.hidden = policy.mode !== "invite";
      invite.input.required = policy.mode === "invite";
      if (policy.email_domains?.length) {
        email.element.insertBefore(
          h("p", { class: "hint" }, t("auth.domainsHint", { domains: policy.email_domains.join(", ") })),
          email.error,
        );
      }
      if (policy.mode === "closed") {
        closed.hidden = false;
        const form = page.querySelector("form");
        for (const part of form.querySelectorAll(".field, button[type=submit], .social-login")) part.hidden = true;
      }
    })
    .catch(() => {}); // the form still works; the server's answer says what is missing
  return page;
}

const backToLogin = () => h("p", { class: "switch" }, h("a", { href: "#/login" }, t("reset.backToLogin")));

export function forgotPasswordView() {
  const fields = [
    field({ label: t("auth.email"), name: "email", type: "email", autocomplete: "username", required: true }),
  ];
  const sent = h("p", { class: "notice info", role: "status" });
  return authForm({
    title: t("reset.forgotTitle"),
    intro: t("reset.forgotIntro"),
    submitLabel: t("reset.send"),
    fields,
    after: sent,
    onSubmit: async ({ email }) => {
      sent.textContent = "";
      await requestPasswordReset(email);
      // The same words whether or not the address has an account: the page must not tell.
      sent.textContent = t("reset.sent");
    },
    footer: backToLogin(),
  });
}

export function resetPasswordView({ uid, token }) {
  const fields = [
    newPasswordField({ label: t("reset.newPassword") }),
  ];
  return authForm({
    title: t("reset.resetTitle"),
    submitLabel: t("reset.setPassword"),
    fields,
    onSubmit: async ({ new_password: newPassword }) => {
      await resetPassword({ uid, token, newPassword });
      location.hash = "#/login";
    },
    footer: h(
      "p",
      { class: "switch" },
      h("a", { href: "#/forgot-password" }, t("reset.askAgain")),
      " · ",
      h("a", { href: "#/login" }, t("reset.backToLogin")),
    ),
  });
}
