// Hash routes (#/login, #/signup, #/chats, #/chats/12, #/new, #/usage, #/keys, #/account, the
// pages mailed links open: #/verify-email/<key>, #/reset-password/<uid>/<token>, and a shared
// chat's: #/shared/<token>), so static hosting
// needs no rewrites. A provider login comes back to this page with #code= or #error= (social.js).
import { clearSession, loadAccount, logOut } from "./actions/account.js";
import * as api from "./api.js";
import { conversationPage } from "./controllers/conversation.js";
import { keysPage } from "./controllers/keys.js";
import { clear, h } from "./dom.js";
import { onLanguageChange, t } from "./i18n.js";
import { finishSocialLogin, takeSocialCallback } from "./social.js";
import "./theme.js"; // the remembered theme, before anything is drawn
import { noticeFor, setState } from "./state.js";
import { accountView } from "./views/account.js";
import { staffView } from "./views/staff.js";
import { forgotPasswordView, loginView, resetPasswordView, signupView, standalonePage } from "./views/auth.js";
import { welcomeView } from "./views/conversation.js";
import { verifyEmailView } from "./views/email.js";
import { newChatView } from "./views/newchat.js";
import { sharedView } from "./views/shared.js";
import { shell } from "./views/shell.js";
import { usageView } from "./views/usage.js";

const root = document.getElementById("app");
let current = null;

api.onQuota((quota) => setState({ quota }));
api.onSessionEnd(() => {
  clearSession();
  if (!/^#\/(signup|forgot-password|reset-password|verify-email|shared)/.test(location.hash)) location.hash = "#/login";
});

async function onLogout() {
  await logOut().catch(() => {});
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

const PAGES = {
  "/new": newChatView,
  "/usage": usageView,
  "/keys": keysPage,
  "/account": accountView,
  "/staff": staffView,
};

function signedInPage(main, { path, activeChatId }) {
  return shell({ main, activeChatId, activePage: path.slice(1), onLogout });
}

function route({ focus } = {}) {
  const hashPath = location.hash.replace(/^#/, "") || "/chats";
  // A shared sign-up link carries its invite code: #/signup?invite=CODE.
  const path = hashPath.startsWith("/signup?") ? "/signup" : hashPath;
  const notice = noticeFor(path);
  if (path === "/login" || path === "/signup") {
    if (api.hasSession()) {
      location.hash = "#/chats";
      return;
    }
    const onLoggedIn = async () => {
      await loadAccount();
      location.hash = "#/chats";
    };
    const view = path === "/login" ? loginView : signupView;
    mount(view({ onLoggedIn, notice }), { focus });
    return;
  }
  // Pages a mailed link opens work signed in or not.
  if (path === "/forgot-password") {
    mount(forgotPasswordView(), { focus });
    return;
  }
  const reset = path.match(/^\/reset-password\/([^/]+)\/([^/]+)$/);
  if (reset) {
    mount(resetPasswordView({ uid: decode(reset[1]), token: decode(reset[2]) }), { focus });
    return;
  }
  const verify = path.match(/^\/verify-email\/(.+)$/);
  if (verify) {
    const card = verifyEmailView({ key: decode(verify[1]) });
    const view = api.hasSession() ? signedInPage(h("main", { class: "page" }, card), { path }) : standalonePage(card);
    mount(view, { focus });
    return;
  }
  // A shared chat is for anyone with the link.
  const shared = path.match(/^\/shared\/([^/]+)$/);
  if (shared) {
    mount(sharedView({ token: decode(shared[1]) }), { focus });
    return;
  }
  if (!api.hasSession()) {
    location.hash = "#/login";
    return;
  }
  const match = path.match(/^\/chats\/(\d+)$/);
  const page = PAGES[path];
  const main = page ? page({ notice }) : match ? conversationPage({ chatId: match[1] }) : welcomeView({ notice });
  mount(signedInPage(main, { path, activeChatId: match?.[1] }), { focus });
}

/** A path segment as it was meant (a mail program may have escaped a `:` as %3A). */
function decode(segment) {
  try {
    return decodeURIComponent(segment);
  } catch {
    return segment;
  }
}

/**
 * A provider login's return (#code= or #error=): the code leaves the address bar before anything
 * else runs, then the route it leads to is shown. Null if the address holds none.
 */
function finishProviderReturn() {
  const callback = takeSocialCallback();
  if (!callback) return null;
  mount(standalonePage(h("section", { class: "card auth" }, h("h1", { tabindex: "-1" }, t("social.finishing")))));
  return finishSocialLogin(callback).then((next) => {
    history.replaceState(history.state, "", `#${next}`);
    route();
  });
}

window.addEventListener("hashchange", () => finishProviderReturn() || route());
// Everything on the page is rendered again in the new language; the focus stays on the switch.
onLanguageChange(() => route({ focus: "#language" }));
(async () => {
  if (finishProviderReturn()) return;
  if (api.hasSession()) {
    try {
      await loadAccount();
    } catch {
      // An expired session ends through onSessionEnd; anything else shows on the page itself.
    }
  }
  route();
})();
