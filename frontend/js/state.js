// What the views share: the signed-in user, today's quota and the chat list.

const state = {
  user: null,
  quota: null, // {limit, remaining, resetsAt: Date}
  chats: [],
  search: "",
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
