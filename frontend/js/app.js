// Hash routes (#/login, #/signup, #/chats, #/chats/12, #/new, #/usage, #/keys), so static hosting needs no rewrites.
import * as api from "./api.js";
import { clear } from "./dom.js";
import { onLanguageChange } from "./i18n.js";
import { clearSession, loadAccount, setState } from "./state.js";
import { loginView, signupView } from "./views/auth.js";
import { conversationView, welcomeView } from "./views/conversation.js";
import { keysView } from "./views/keys.js";
import { newChatView } from "./views/newchat.js";
import { shell } from "./views/shell.js";
import { usageView } from "./views/usage.js";

const root = document.getElementById("app");
let current = null;

api.onQuota((quota) => setState({ quota }));
api.onSessionEnd(() => {
  clearSession();
  if (!location.hash.startsWith("#/signup")) location.hash = "#/login";
});

async function logOut() {
  await api.logout().catch(() => {});
  location.hash = "#/login";
}

/** Show a view; the focus goes to its heading (or `focus`), so a screen reader starts there. */
function mount(view, { focus } = {}) {
  current?.cleanup?.();
  clear(root).append(view);
  current = view;
  const target = (focus && view.querySelector(focus)) || view.querySelector("[autofocus], h1");
  target?.focus();
}

const PAGES = { "/new": newChatView, "/usage": usageView, "/keys": keysView };

function route({ focus } = {}) {
  const path = location.hash.replace(/^#/, "") || "/chats";
  if (path === "/login" || path === "/signup") {
    if (api.hasSession()) {
      location.hash = "#/chats";
      return;
    }
    const onLoggedIn = async () => {
      await loadAccount();
      location.hash = "#/chats";
    };
    mount(path === "/login" ? loginView({ onLoggedIn }) : signupView({ onLoggedIn }), { focus });
    return;
  }
  if (!api.hasSession()) {
    location.hash = "#/login";
    return;
  }
  const match = path.match(/^\/chats\/(\d+)$/);
  const page = PAGES[path];
  const main = page ? page() : match ? conversationView({ chatId: match[1] }) : welcomeView();
  mount(shell({ main, activeChatId: match?.[1], activePage: path.slice(1), onLogout: logOut }), { focus });
}

window.addEventListener("hashchange", () => route());
// Everything on the page is rendered again in the new language; the focus stays on the switch.
onLanguageChange(() => route({ focus: "#language" }));
(async () => {
  if (api.hasSession()) {
    try {
      await loadAccount();
    } catch {
      // An expired session ends through onSessionEnd; anything else shows on the page itself.
    }
  }
  route();
})();
