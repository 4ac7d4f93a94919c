// API keys: make one (shown once, with Copy), see them, revoke them.
import * as api from "../api.js";
import { clear, formatDateTime, h } from "../dom.js";

async function copy(text, button) {
  try {
    await navigator.clipboard.writeText(text);
    button.textContent = "Copied";
  } catch {
    button.textContent = "Select and copy it by hand";
  }
  setTimeout(() => (button.textContent = "Copy"), 2000);
}

export function keysView() {
  const error = h("p", { class: "form-error", role: "alert" });
  const list = h("ul", { class: "key-list", "aria-label": "Your API keys" });
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
            "aria-label": `Revoke ${key.name}`,
            onclick: async () => {
              if (!window.confirm(`Revoke "${key.name}"? Scripts using it stop working at once.`)) return;
              try {
                await api.revokeApiKey(key.id);
                await load();
              } catch (failure) {
                error.textContent = failure.message;
              }
            },
          },
          "Revoke",
        );
        const used = key.last_used_at ? `last used ${formatDateTime(new Date(key.last_used_at))}` : "never used";
        list.append(
          h(
            "li",
            {},
            h("strong", {}, key.name),
            h("code", {}, `cbk_${key.prefix}_…`),
            h("span", { class: "hint" }, `created ${formatDateTime(new Date(key.created_at))}, ${used}`),
            revoke,
          ),
        );
      }
      empty.textContent = keys.length ? "" : "No API keys yet.";
    } catch (failure) {
      error.textContent = failure.message;
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
          const value = h("input", { readonly: true, value: created.key, "aria-label": "New API key" });
          const copyButton = h("button", { type: "button", onclick: () => copy(created.key, copyButton) }, "Copy");
          clear(fresh).append(
            h("p", {}, h("strong", {}, `Your new key "${created.name}". `), "Copy it now: it is not shown again."),
            h("div", { class: "copy-row" }, value, copyButton),
          );
          fresh.hidden = false;
          value.select();
          await load();
        } catch (failure) {
          error.textContent = failure.message;
        }
      },
    },
    h("div", { class: "field" }, h("label", { for: "key-name" }, "Key name"), name),
    h("button", { type: "submit", class: "primary" }, "Create key"),
  );

  const view = h(
    "main",
    { class: "keys" },
    h("h1", { tabindex: "-1" }, "API keys"),
    h(
      "p",
      { class: "hint" },
      "Keys let scripts and any OpenAI client use your account: same daily quota, same history. ",
      "Give the client this base URL and a key:",
    ),
    h("div", { class: "copy-row" }, h("code", { class: "base-url" }, baseUrl)),
    form,
    error,
    fresh,
    h("h2", {}, "Your keys"),
    list,
    empty,
  );
  load();
  return view;
}
