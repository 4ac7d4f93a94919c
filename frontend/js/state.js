// The store: what the views share (the signed-in user, today's quota, the chat list, the server's models
// and personas, a page's notice). Views read and subscribe here; only the store's actions fill it: those
// that ask the server are in actions/ (account.js, chats.js), the notice's are below.
import { t } from "./i18n.js";

const state = {
  user: null,
  quota: null, // {limit, remaining, resetsAt: Date}
  chats: [], // every page loaded so far, most recently active first
  chatCount: 0, // how many chats match the search, loaded or not
  chatPages: 0, // pages of the list loaded
  hasMoreChats: false,
  search: "",
  models: null, // {default, models} from the server, once loaded
  socialProviders: null, // [{id, name}] the server enables, once loaded
  // A message for one page, kept while that page is shown (language switches included):
  // {route: "/login", tone: "error" | "info", text: () => string}.
  notice: null,
  personas: null, // [{id, name, description, variables}] from the server, once loaded
};
const listeners = new Set();

export function getState() {
  return state;
}

export function setState(changes) {
  Object.assign(state, changes);
  listeners.forEach((listener) => listener(state));
}

export function subscribe(listener) {
  listeners.add(listener);
  return () => listeners.delete(listener);
}

export function quotaFromUser(quota) {
  return { limit: quota.limit, remaining: quota.remaining, resetsAt: new Date(quota.resets_at) };
}

/** A chat's name in the list and its heading; the first message names it, until then this. */
export function chatTitle(chat) {
  return chat.title || t("app.untitledChat");
}

// --- A page's notice ----------------------------------------------------------------------------

/** A message for the page at `route` (the log-in page after a failed provider login, say). */
export function showNotice(route, tone, text) {
  setState({ notice: { route, tone, text } });
}

/** The notice, if it is for `route`; one for another page is dropped. */
export function noticeFor(route) {
  if (state.notice && state.notice.route !== route) setState({ notice: null });
  return state.notice;
}
