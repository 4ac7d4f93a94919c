// API keys: make one (shown once, with Copy), see them, revoke them.
import * as api from "../api.js";
import { clear, h } from "../dom.js";
import { t } from "../i18n.js";
import { errorText } from "../i18n/errors.js";
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

export function keysView() {
  const error = h("p", { class: "form-error", role: "alert" });
  const list = h("ul", { class: "key-list", "aria-label": t("keys.listLabel") });
  const empty = h("p", { class: "empty" });
  const fresh = h("div", { class: "fresh-key", hidden: true });
  const name = h("input", { id: "key-name", name: "name", required: true, maxlength: 100, autocomplete: "off" });
  const baseUrl = api.openAIBaseUrl();

  async function load() {
    try {
      const keys = await api.listApiKeys();
      clear(list);
      for (const key of keys) {
        const revoke = h(
          "button",
          {
            type: "button",
            class: "danger subtle",
            "aria-label": t("keys.revokeLabel", { name: key.name }),
            onclick: async () => {
              if (!window.confirm(t("keys.revokeConfirm", { name: key.name }))) return;
              try {
                await api.revokeApiKey(key.id);
                await load();
              } catch (failure) {
                error.textContent = errorText(failure);
              }
            },
          },
          t("keys.revoke"),
        );
        const used = key.last_used_at
          ? t("keys.lastUsed", { date: formatDateTime(new Date(key.last_used_at)) })
          : t("keys.neverUsed");
        const created = t("keys.created", { date: formatDateTime(new Date(key.created_at)) });
        list.append(
          h(
            "li",
            {},
            h("strong", {}, key.name),
            h("code", {}, `cbk_${key.prefix}_…`),
            h("span", { class: "hint" }, `${created}, ${used}`),
            revoke,
          ),
        );
      }
      empty.textContent = keys.length ? "" : t("keys.none");
    } catch (failure) {
      error.textContent = errorText(failure);
    }
  }

  const form = h(
    "form",
    {
      class: "key-form",
      onsubmit: async (event) => {
        event.preventDefault();
        error.textContent = "";
        try {
          const created = await api.createApiKey(name.value.trim());
          name.value = "";
          const value = h("input", { readonly: true, value: created.key, "aria-label": t("keys.newKey") });
          const copyButton = h("button", { type: "button", onclick: () => copy(created.key, copyButton) }, t("keys.copy"));
          clear(fresh).append(
            h("p", {}, h("strong", {}, t("keys.fresh", { name: created.name })), t("keys.freshNote")),
            h("div", { class: "copy-row" }, value, copyButton),
          );
          fresh.hidden = false;
          value.select();
          await load();
        } catch (failure) {
          error.textContent = errorText(failure);
        }
      },
    },
    h("div", { class: "field" }, h("label", { for: "key-name" }, t("keys.name")), name),
    h("button", { type: "submit", class: "primary" }, t("keys.create")),
  );

  const view = h(
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
  load();
  return view;
}
