// Hash routes (#/login, #/signup, #/chats, #/chats/12, #/new, #/keys), so static hosting needs no rewrites.
import * as api from "./api.js";
import { clear } from "./dom.js";
import { quotaFromUser, setState } from "./state.js";
import { loginView, signupView } from "./views/auth.js";
import { conversationView, welcomeView } from "./views/conversation.js";
import { keysView } from "./views/keys.js";
import { newChatView } from "./views/newchat.js";
import { refreshChatList, shell } from "./views/shell.js";

const root = document.getElementById("app");
let current = null;

api.onQuota((quota) => setState({ quota }));
api.onSessionEnd(() => {
  setState({ user: null, chats: [], quota: null, search: "" });
  if (!location.hash.startsWith("#/signup")) location.hash = "#/login";
});

async function loadAccount() {
  const [user] = await Promise.all([api.me(), refreshChatList()]);
  setState({ user, quota: quotaFromUser(user.quota) });
}

async function logOut() {
  await api.logout().catch(() => {});
  location.hash = "#/login";
}

function mount(view) {
  current?.cleanup?.();
  clear(root).append(view);
  current = view;
  view.querySelector("[autofocus], h1")?.focus?.();
}

async function route() {
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
    mount(path === "/login" ? loginView({ onLoggedIn }) : signupView({ onLoggedIn }));
    return;
  }
  if (!api.hasSession()) {
    location.hash = "#/login";
    return;
  }
  const match = path.match(/^\/chats\/(\d+)$/);
  const main =
    path === "/new"
      ? newChatView()
      : path === "/keys"
        ? keysView()
        : match
          ? conversationView({ chatId: match[1] })
          : welcomeView();
  mount(shell({ main, activeChatId: match?.[1], onLogout: logOut }));
}

window.addEventListener("hashchange", route);
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
