// What the views share (the signed-in user, today's quota, the chat list, the server's models and personas),
// and the actions that load it. Views read and subscribe here; only these actions fill it.
import * as api from "./api.js";
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

export function clearSession() {
  listGeneration += 1;
  setState({ user: null, quota: null, chats: [], chatCount: 0, chatPages: 0, hasMoreChats: false, search: "" });
}

// --- Account ------------------------------------------------------------------------------------

/** The user and their quota as the server has them now. */
export async function refreshAccount() {
  const user = await api.me();
  setState({ user, quota: quotaFromUser(user.quota) });
  return user;
}

export async function loadAccount() {
  await Promise.all([refreshAccount(), refreshChatList({ pages: 1 })]);
}

/** A message for the page at `route` (the log-in page after a failed provider login, say). */
export function showNotice(route, tone, text) {
  setState({ notice: { route, tone, text } });
}

/** The notice, if it is for `route`; one for another page is dropped. */
export function noticeFor(route) {
  if (state.notice && state.notice.route !== route) setState({ notice: null });
  return state.notice;
}

/**
 * Change the password. The server ends every session with it, this one too, so we log in again
 * at once with the new one; if that fails, the log-in page says what happened.
 */
export async function changePassword({ currentPassword, newPassword }) {
  const { email } = state.user;
  await api.changePassword(currentPassword, newPassword);
  try {
    await api.login(email, newPassword);
  } catch (error) {
    showNotice("/login", "info", () => t("reset.done"));
    api.forgetSession();
    throw error;
  }
  await refreshAccount();
}

export async function unlinkProvider(provider) {
  await api.socialUnlink(provider);
  await refreshAccount();
}

// --- Social login providers ---------------------------------------------------------------------

/** The providers the server enables, asked once per page load; none if the server cannot say. */
export async function loadSocialProviders() {
  if (!state.socialProviders) {
    try {
      setState({ socialProviders: await api.listSocialProviders() });
    } catch {
      return []; // asked again next time
    }
  }
  return state.socialProviders;
}

// --- The chat list ------------------------------------------------------------------------------

// Bumped by every refresh: an answer to an older request (a search typed over, a page asked for
// before a refresh) is dropped instead of overwriting a newer list.
let listGeneration = 0;
let loadingMore = null;

function withoutDuplicates(chats) {
  const seen = new Set();
  return chats.filter((chat) => !seen.has(chat.id) && seen.add(chat.id));
}

/**
 * Load the list again, as many pages as are shown (so a chat found with `Load more` stays in the
 * list after a send), or `pages` pages. The list is ordered by activity, so pages are read again
 * rather than patched.
 */
export async function refreshChatList({ pages } = {}) {
  const generation = ++listGeneration;
  const wanted = Math.max(1, pages ?? state.chatPages);
  const { search } = state;
  let chats = [];
  let page = null;
  let loaded = 0;
  while (loaded < wanted) {
    page = await api.listChats({ search, page: loaded + 1 });
    if (generation !== listGeneration) return;
    chats = chats.concat(page.results);
    loaded += 1;
    if (!page.next) break;
  }
  setState({
    chats: withoutDuplicates(chats),
    chatCount: page.count,
    chatPages: loaded,
    hasMoreChats: Boolean(page.next),
  });
}

/** The next page of the list (with the current search), added below what is shown. */
export function loadMoreChats() {
  if (!state.hasMoreChats) return Promise.resolve();
  if (!loadingMore) {
    const generation = listGeneration;
    const { search, chatPages } = state;
    loadingMore = api
      .listChats({ search, page: chatPages + 1 })
      .then((page) => {
        if (generation !== listGeneration) return;
        setState({
          chats: withoutDuplicates(state.chats.concat(page.results)),
          chatCount: page.count,
          chatPages: chatPages + 1,
          hasMoreChats: Boolean(page.next),
        });
      })
      .finally(() => {
        loadingMore = null;
      });
  }
  return loadingMore;
}

/** Search titles and messages; the list starts again from its first page. */
export function searchChats(search) {
  setState({ search });
  return refreshChatList({ pages: 1 });
}

// --- Models -------------------------------------------------------------------------------------

/** The models a chat may use and the default, asked once per page load. */
export async function loadModels() {
  if (!state.models) setState({ models: await api.listModels() });
  return state.models;
}

// --- Personas -----------------------------------------------------------------------------------

/** The personas a new chat can start from, asked once per page load. */
export async function loadPersonas() {
  if (!state.personas) setState({ personas: await api.listPersonas() });
  return state.personas;
}
