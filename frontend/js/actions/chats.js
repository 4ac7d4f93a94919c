// Store actions for the chat list (every page with Load more, the search), for making and deleting
// chats, and for what a new chat is made from (the server's models and personas).
import * as api from "../api.js";
import { getState, setState } from "../state.js";

// Bumped by every refresh: an answer to an older request (a search typed over, a page asked for
// before a refresh) is dropped instead of overwriting a newer list.
let listGeneration = 0;
let loadingMore = null;

function withoutDuplicates(chats) {
  const seen = new Set();
  return chats.filter((chat) => !seen.has(chat.id) && seen.add(chat.id));
}

/** For the end of a session: the changes that empty the list; no answer still on its way brings it back. */
export function emptyChatList() {
  listGeneration += 1;
  return { chats: [], chatCount: 0, chatPages: 0, hasMoreChats: false, search: "" };
}

/**
 * Load the list again, as many pages as are shown (so a chat found with `Load more` stays in the
 * list after a send), or `pages` pages. The list is ordered by activity, so pages are read again
 * rather than patched.
 */
export async function refreshChatList({ pages } = {}) {
  const generation = ++listGeneration;
  const state = getState();
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
  const state = getState();
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

/** A new chat (`{config, context, persona}`), at the top of the list; resolves to its detail. */
export async function createChat(fields) {
  const chat = await api.createChat(fields);
  await refreshChatList();
  return chat;
}

export async function deleteChat(id) {
  await api.deleteChat(id);
  await refreshChatList();
}

/** Every chat of the user goes; the search goes with them and the list is empty again. */
export async function deleteAllChats() {
  await api.deleteAllChats();
  await searchChats("");
}

// --- Models and personas --------------------------------------------------------------------------

/** The models a chat may use and the default, asked once per page load. */
export async function loadModels() {
  if (!getState().models) setState({ models: await api.listModels() });
  return getState().models;
}

/** The personas a new chat can start from, asked once per page load. */
export async function loadPersonas() {
  if (!getState().personas) setState({ personas: await api.listPersonas() });
  return getState().personas;
}
