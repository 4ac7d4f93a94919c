// The signed-in frame: the top bar (quota, pages, theme, language, log out), a banner while the address
// is unconfirmed, and the sidebar of chats (search, every chat page by page with Load more, delete all).
import { deleteAllChats, loadMoreChats, searchChats } from "../actions/chats.js";
import { clear, h } from "../dom.js";
import { t } from "../i18n.js";
import { errorText } from "../i18n/errors.js";
import { formatRelative, formatTime } from "../i18n/format.js";
import { chatTitle, getState, subscribe } from "../state.js";
import { verificationBanner } from "./email.js";
import { languageSelect } from "./language.js";
import { themeSelect } from "./theme.js";

function quotaText(quota) {
  if (!quota) return "";
  return t("shell.quota", { remaining: quota.remaining, limit: quota.limit, time: formatTime(quota.resetsAt) });
}

/** When the chat was last active; a server clock a little ahead of ours is not "in 2 seconds". */
function lastActive(chat, now) {
  return new Date(Math.min(Date.parse(chat.updated_at), now.getTime()));
}

export function shell({ main, activeChatId, activePage, onLogout }) {
  const quota = h("p", { class: "quota", role: "status", "aria-label": t("shell.quotaLabel") });
  const list = h("ul", { class: "chat-list", "aria-label": t("shell.yourChats") });
  const empty = h("p", { class: "empty" });
  const listError = h("p", { class: "form-error", role: "alert" });
  const shown = h("p", { class: "list-count" });
  let searchTimer;
  let searched = getState().search; // what this box last asked the store for
  const search = h("input", {
    type: "search",
    "aria-label": t("shell.search"),
    placeholder: t("shell.search"),
    value: searched,
    oninput: () => {
      clearTimeout(searchTimer);
      searchTimer = setTimeout(async () => {
        listError.textContent = "";
        searched = search.value.trim();
        await searchChats(searched).catch((error) => (listError.textContent = errorText(error)));
      }, 250);
    },
  });
  const more = h("button", {
    type: "button",
    class: "load-more",
    onclick: async () => {
      if (more.getAttribute("aria-disabled") === "true") return;
      const before = getState().chats.length;
      // aria-disabled, not disabled: a disabled button would lose the keyboard focus.
      more.setAttribute("aria-disabled", "true");
      more.textContent = t("shell.loadingMore");
      listError.textContent = "";
      try {
        await loadMoreChats();
        // Nothing left to load: the button goes, so the focus moves to the first chat it brought.
        if (more.hidden) list.querySelectorAll("a")[before]?.focus();
      } catch (error) {
        listError.textContent = errorText(error);
      } finally {
        more.removeAttribute("aria-disabled");
        more.textContent = t("shell.loadMore");
      }
    },
  }, t("shell.loadMore"));
  const sidebar = h(
    "nav",
    { class: "sidebar", "aria-label": t("shell.chatsNav") },
    h("button", { type: "button", class: "primary", onclick: () => (location.hash = "#/new") }, t("shell.newChat")),
    search,
    listError,
    list,
    empty,
    shown,
    more,
    h(
      "button",
      {
        type: "button",
        class: "danger subtle",
        onclick: async () => {
          if (!window.confirm(t("shell.deleteAllConfirm"))) return;
          try {
            await deleteAllChats();
            location.hash = "#/chats";
          } catch (error) {
            listError.textContent = errorText(error);
          }
        },
      },
      t("shell.deleteAll"),
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
    t("shell.chatsToggle"),
  );
  const staffLink = h("a", { class: "nav-link staff-link", href: "#/staff", hidden: true }, t("shell.staff"));
  if (activePage === "staff") staffLink.setAttribute("aria-current", "page");
  const who = h("span", { class: "who" });
  const page = (name, href, label) =>
    h("a", { class: `nav-link ${name}-link`, href, "aria-current": activePage === name ? "page" : null }, label);
  const header = h(
    "header",
    { class: "topbar" },
    toggle,
    h("a", { class: "brand", href: "#/chats" }, t("app.name")),
    quota,
    who,
    page("usage", "#/usage", t("shell.usage")),
    staffLink,
    page("keys", "#/keys", t("shell.apiKeys")),
    page("account", "#/account", t("shell.account")),
    themeSelect(),
    languageSelect(),
    h("button", { type: "button", class: "log-out", onclick: onLogout }, t("shell.logOut")),
  );

  function render(state) {
    // The search changed elsewhere (Delete all ends it): the box shows the store's.
    if (state.search !== searched) search.value = searched = state.search;
    quota.textContent = quotaText(state.quota);
    quota.classList.toggle("exhausted", Boolean(state.quota && state.quota.remaining === 0));
    who.textContent = state.user ? state.user.nickname || state.user.email : "";
    staffLink.hidden = !state.user?.is_staff;
    clear(list);
    const now = new Date();
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
            h("span", { class: "title" }, chatTitle(chat)),
            h("time", { datetime: chat.updated_at }, formatRelative(lastActive(chat, now), now)),
          ),
        ),
      );
    }
    empty.textContent = state.chats.length ? "" : state.search ? t("shell.noMatch") : t("shell.noChats");
    shown.textContent =
      state.chats.length && state.chatCount > state.chats.length
        ? t("shell.shown", { shown: state.chats.length, count: state.chatCount })
        : "";
    more.hidden = !state.hasMoreChats;
  }
  const unsubscribe = subscribe(render);
  render(getState());
  const banner = verificationBanner();
  const root = h("div", { class: "layout" }, header, banner, h("div", { class: "body" }, sidebar, main));
  root.cleanup = () => {
    unsubscribe();
    banner.unsubscribe();
    clearTimeout(searchTimer);
    main.cleanup?.();
  };
  return root;
}
