// The signed-in frame: header (quota, log out) and the sidebar of chats (search, delete all).
import * as api from "../api.js";
import { clear, formatTime, h } from "../dom.js";
import { getState, setState, subscribe } from "../state.js";

export function quotaText(quota) {
  if (!quota) return "";
  return `${quota.remaining} of ${quota.limit} left today, resets at ${formatTime(quota.resetsAt)}`;
}

export async function refreshChatList() {
  const { search } = getState();
  const page = await api.listChats({ search });
  setState({ chats: page.results, chatCount: page.count, chatsNext: page.next });
}

function chatTitle(chat) {
  return chat.title || "Untitled chat";
}

export function shell({ main, activeChatId, onLogout }) {
  const quota = h("p", { class: "quota", role: "status", "aria-label": "Daily quota" });
  const list = h("ul", { class: "chat-list", "aria-label": "Your chats" });
  const empty = h("p", { class: "empty" });
  const listError = h("p", { class: "form-error", role: "alert" });
  let searchTimer;
  const search = h("input", {
    type: "search",
    "aria-label": "Search chats",
    placeholder: "Search chats",
    value: getState().search,
    oninput: () => {
      clearTimeout(searchTimer);
      searchTimer = setTimeout(async () => {
        setState({ search: search.value.trim() });
        await refreshChatList().catch((error) => (listError.textContent = error.message));
      }, 250);
    },
  });
  const sidebar = h(
    "nav",
    { class: "sidebar", "aria-label": "Chats" },
    h("button", { type: "button", class: "primary", onclick: () => (location.hash = "#/new") }, "New chat"),
    search,
    listError,
    list,
    empty,
    h(
      "button",
      {
        type: "button",
        class: "danger subtle",
        onclick: async () => {
          if (!window.confirm("Delete all your chats? This cannot be undone.")) return;
          try {
            await api.deleteAllChats();
            setState({ search: "" });
            search.value = "";
            await refreshChatList();
            location.hash = "#/chats";
          } catch (error) {
            listError.textContent = error.message;
          }
        },
      },
      "Delete all chats",
    ),
  );
  const toggle = h(
    "button",
    {
      type: "button",
      class: "sidebar-toggle",
      "aria-expanded": "false",
      onclick: () => {
        const open = document.body.classList.toggle("sidebar-open");
        toggle.setAttribute("aria-expanded", String(open));
      },
    },
    "Chats",
  );
  const who = h("span", { class: "who" });
  const header = h(
    "header",
    { class: "topbar" },
    toggle,
    h("a", { class: "brand", href: "#/chats" }, "Chatbot"),
    quota,
    who,
    h("a", { class: "nav-link", href: "#/keys" }, "API keys"),
    h("button", { type: "button", onclick: onLogout }, "Log out"),
  );

  function render(state) {
    quota.textContent = quotaText(state.quota);
    quota.classList.toggle("exhausted", Boolean(state.quota && state.quota.remaining === 0));
    who.textContent = state.user ? state.user.nickname || state.user.email : "";
    clear(list);
    for (const chat of state.chats) {
      const current = String(chat.id) === String(activeChatId);
      list.append(
        h(
          "li",
          {},
          h(
            "a",
            {
              href: `#/chats/${chat.id}`,
              "aria-current": current ? "page" : null,
              onclick: () => document.body.classList.remove("sidebar-open"),
            },
            chatTitle(chat),
          ),
        ),
      );
    }
    empty.textContent = state.chats.length ? "" : state.search ? "No chat matches your search." : "No chats yet.";
  }
  const unsubscribe = subscribe(render);
  render(getState());
  const root = h("div", { class: "layout" }, header, h("div", { class: "body" }, sidebar, main));
  root.cleanup = unsubscribe;
  return root;
}
