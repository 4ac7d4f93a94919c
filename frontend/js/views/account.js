// Your account: the address and whether it is confirmed, the ways you log in (a password, GitHub,
// Kakao) with Link and Unlink, and a password change.
import { changePassword, loadSocialProviders, refreshAccount, unlinkProvider } from "../actions/account.js";
import { clear, h } from "../dom.js";
import { t } from "../i18n.js";
import { errorText } from "../i18n/errors.js";
import { formatDateTime } from "../i18n/format.js";
import { providerName, startSocialLink } from "../social.js";
import { getState, subscribe } from "../state.js";
import { clearErrors, field, newPasswordField, noticeBox, showErrors } from "./form.js";

function passwordForm() {
  const fields = [
    field({
      label: t("account.currentPassword"),
      name: "current_password",
      type: "password",
      autocomplete: "current-password",
      required: true,
    }),
    newPasswordField({ label: t("reset.newPassword") }),
  ];
  const [current, next] = fields;
  const formError = h("p", { class: "form-error", role: "alert" });
  const done = h("p", { class: "notice info", role: "status" });
  const submit = h("button", { type: "submit", class: "primary" }, t("account.changePassword"));
  return h(
    "form",
    {
      class: "card password-form",
      "aria-labelledby": "password-title",
      novalidate: true,
      onsubmit: async (event) => {
        event.preventDefault();
        clearErrors(fields, formError);
        done.textContent = "";
        submit.disabled = true;
        try {
          await changePassword({ currentPassword: current.input.value.trim(), newPassword: next.input.value.trim() });
          current.input.value = next.input.value = "";
          done.textContent = t("account.passwordChanged");
        } catch (error) {
          showErrors(fields, formError, error);
        } finally {
          submit.disabled = false;
        }
      },
    },
    h("h2", { id: "password-title" }, t("account.changePassword")),
    fields.map((f) => f.element),
    formError,
    done,
    h("div", {}, submit),
  );
}

export function accountView({ notice } = {}) {
  const details = h("dl", { class: "account-details" });
  const linked = h("ul", { class: "linked-list", "aria-label": t("account.linkedLabel") });
  const noneLinked = h("p", { class: "empty" });
  const linkButtons = h("div", { class: "link-buttons" });
  // A link adds a way in, so the server asks for the password (an account without one must have
  // logged in recently; the server says so if not).
  const linkPassword = h("input", {
    id: "link-password",
    type: "password",
    autocomplete: "current-password",
    maxlength: 128,
  });
  const linkProof = h("div", { class: "field" }, h("label", { for: "link-password" }, t("account.linkPassword")), linkPassword);
  const methodsTitle = h("h2", { id: "methods-title", tabindex: "-1" }, t("account.methodsTitle"));
  const methodsError = h("p", { class: "form-error", role: "alert" });
  const password = passwordForm();
  const noPassword = h("p", { class: "hint" });
  let providers = [];

  async function unlink(provider) {
    methodsError.textContent = "";
    try {
      await unlinkProvider(provider);
      methodsTitle.focus(); // its button is gone
    } catch (error) {
      methodsError.textContent = errorText(error); // the server's words: why it is refused
    }
  }

  async function link(provider) {
    methodsError.textContent = "";
    try {
      const hasPassword = getState().user?.has_password;
      await startSocialLink(provider, (hasPassword && linkPassword.value) || undefined); // leaves for the provider
    } catch (error) {
      methodsError.textContent = errorText(error);
    }
  }

  function render({ user }) {
    if (!user) return;
    const item = (term, value) => [h("dt", {}, term), h("dd", {}, value)];
    clear(details).append(
      ...item(t("auth.email"), user.email || t("account.noEmail")),
      ...(user.email ? item(t("account.emailStatus"), user.email_verified ? t("account.verified") : t("account.unverified")) : []),
      ...item(t("auth.password"), user.has_password ? t("account.passwordSet") : t("account.passwordNotSet")),
    );
    const accounts = user.social_accounts || [];
    clear(linked).append(
      ...accounts.map((account) =>
        h(
          "li",
          {},
          h("strong", {}, providerName(account.provider)),
          h("span", { class: "hint" }, t("account.linkedOn", { date: formatDateTime(new Date(account.created_at)) })),
          h(
            "button",
            {
              type: "button",
              class: "danger subtle",
              "aria-label": t("account.unlinkLabel", { provider: providerName(account.provider) }),
              onclick: () => unlink(account.provider),
            },
            t("account.unlink"),
          ),
        ),
      ),
    );
    noneLinked.textContent = accounts.length ? "" : t("account.noneLinked");
    const unlinked = providers.filter((provider) => !accounts.some((account) => account.provider === provider.id));
    clear(linkButtons).append(
      ...unlinked.map((provider) =>
        h(
          "button",
          { type: "button", class: `social-button ${provider.id}`, onclick: () => link(provider.id) },
          t("account.link", { provider: providerName(provider.id, provider.name) }),
        ),
      ),
    );
    password.hidden = !user.has_password;
    linkProof.hidden = !user.has_password || !unlinked.length;
    noPassword.textContent = user.has_password ? "" : user.email ? t("account.noPasswordHint") : "";
  }

  const view = h(
    "main",
    { class: "account" },
    h("h1", { tabindex: "-1" }, t("account.title")),
    noticeBox(notice),
    h("section", { class: "card", "aria-labelledby": "details-title" }, h("h2", { id: "details-title" }, t("account.detailsTitle")), details, noPassword),
    h(
      "section",
      { class: "card", "aria-labelledby": "methods-title" },
      methodsTitle,
      linked,
      noneLinked,
      methodsError,
      linkProof,
      linkButtons,
    ),
    password,
  );
  const unsubscribe = subscribe(render);
  render(getState());
  loadSocialProviders().then((enabled) => {
    providers = enabled;
    render(getState());
  });
  refreshAccount().catch((error) => (methodsError.textContent = errorText(error)));
  view.cleanup = unsubscribe;
  return view;
}
