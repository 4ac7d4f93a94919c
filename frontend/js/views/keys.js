// API keys: make one (shown once, with Copy), see them, revoke them. It draws what its controller
// (controllers/keys.js) gives it and reports what the person did; it asks the server nothing.
import { clear, h } from "../dom.js";
import { t } from "../i18n.js";
import { formatDateTime } from "../i18n/format.js";

async function copy(text, button) {
  try {
    await navigator.clipboard.writeText(text);
    button.textContent = t("keys.copied");
  } catch {
    button.textContent = t("keys.copyByHand");
  }
  setTimeout(() => (button.textContent = t("keys.copy")), 2000);
}

/**
 * `onCreate(name, currentPassword)` makes a key (a key outlives every session, so the server asks for
 * the password; an account without one, `hasPassword` false, must have logged in recently);
 * `onRevoke(key)` revokes one, once the person has confirmed it.
 */
export function keysView({ baseUrl, hasPassword, onCreate, onRevoke }) {
  const error = h("p", { class: "form-error", role: "alert" });
  const list = h("ul", { class: "key-list", "aria-label": t("keys.listLabel") });
  const empty = h("p", { class: "empty" });
  const fresh = h("div", { class: "fresh-key", hidden: true });
  const name = h("input", { id: "key-name", name: "name", required: true, maxlength: 100, autocomplete: "off" });
  const password = h("input", {
    id: "key-password",
    name: "current_password",
    type: "password",
    required: true,
    maxlength: 128,
    autocomplete: "current-password",
  });
  const proof = hasPassword
    ? h("div", { class: "field" }, h("label", { for: "key-password" }, t("keys.password")), password)
    : h("p", { class: "hint" }, t("keys.recentLogin"));

  function keyItem(key) {
    const revoke = h(
      "button",
      {
        type: "button",
        class: "danger subtle",
        "aria-label": t("keys.revokeLabel", { name: key.name }),
        onclick: () => window.confirm(t("keys.revokeConfirm", { name: key.name })) && onRevoke(key),
      },
      t("keys.revoke"),
    );
    const used = key.last_used_at
      ? t("keys.lastUsed", { date: formatDateTime(new Date(key.last_used_at)) })
      : t("keys.neverUsed");
    const created = t("keys.created", { date: formatDateTime(new Date(key.created_at)) });
    return h(
      "li",
      {},
      h("strong", {}, key.name),
      h("code", {}, `cbk_${key.prefix}_…`),
      h("span", { class: "hint" }, `${created}, ${used}`),
      revoke,
    );
  }

  const form = h(
    "form",
    {
      class: "key-form",
      onsubmit: (event) => {
        event.preventDefault();
        error.textContent = "";
        onCreate(name.value.trim(), hasPassword ? password.value : undefined);
      },
    },
    h("div", { class: "field" }, h("label", { for: "key-name" }, t("keys.name")), name),
    proof,
    h("button", { type: "submit", class: "primary" }, t("keys.create")),
  );

  const element = h(
    "main",
    { class: "keys" },
    h("h1", { tabindex: "-1" }, t("keys.title")),
    h("p", { class: "hint" }, t("keys.intro"), t("keys.baseUrl")),
    h("div", { class: "copy-row" }, h("code", { class: "base-url" }, baseUrl)),
    form,
    error,
    fresh,
    h("h2", {}, t("keys.yourKeys")),
    list,
    empty,
  );

  return {
    element,
    showKeys(keys) {
      clear(list).append(...keys.map(keyItem));
      empty.textContent = keys.length ? "" : t("keys.none");
    },
    /** The new key in full, this once, with Copy; the name field is ready for the next. */
    showCreated(created) {
      name.value = "";
      password.value = "";
      const value = h("input", { readonly: true, value: created.key, "aria-label": t("keys.newKey") });
      const copyButton = h("button", { type: "button", onclick: () => copy(created.key, copyButton) }, t("keys.copy"));
      clear(fresh).append(
        h("p", {}, h("strong", {}, t("keys.fresh", { name: created.name })), t("keys.freshNote")),
        h("div", { class: "copy-row" }, value, copyButton),
      );
      fresh.hidden = false;
      value.select();
    },
    showError(text) {
      error.textContent = text;
    },
  };
}
