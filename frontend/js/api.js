// The only module that calls fetch. It owns the tokens: the access token lives in memory only;
// the refresh token (rotated on every use, revoked at logout) is kept in localStorage so a
// reload stays logged in. One refresh runs at a time, across tabs too, then the request is retried once.
import { API_BASE_URL } from "../config.js";
import { filenameFrom, serverSentEvents } from "./api/responses.js";
import { getLanguage } from "./i18n.js";

const REFRESH_KEY = "chatbot.refresh";
const API = `${API_BASE_URL.replace(/\/$/, "")}/api/v1`;

let accessToken = null;
let refreshing = null;
const quotaListeners = new Set();
const sessionEndListeners = new Set();

/**
 * A failed request. Views turn it into words with `errorText` (i18n/errors.js); `message` is for logs.
 * `status` 0 means the server could not be reached; `code` names our own cases ("stream_cut").
 */
export class ApiError extends Error {
  constructor(status, body = {}, headers = null, code = null) {
    const detail = typeof body.detail === "string" ? body.detail : null;
    super(detail || (status ? `The server answered ${status}.` : "Cannot reach the server."));
    this.status = status;
    this.body = body;
    this.code = code;
    this.detail = detail;
    // Field errors of a 400, e.g. {email: ["A user with this email already exists."]}; beside a
    // `detail`, the lists of messages only (e.g. {detail, invite_code: [...]}).
    const object = body && typeof body === "object" && !Array.isArray(body);
    this.fields = !object
      ? {}
      : !detail
        ? body
        : Object.fromEntries(Object.entries(body).filter(([name, value]) => name !== "detail" && Array.isArray(value)));
    // Completions still left when a 429 came: then a token budget refused, not the daily count.
    this.rateRemaining = headers ? Number(headers.get("X-RateLimit-Remaining")) || 0 : 0;
    this.retryAfter = headers ? Number(headers.get("Retry-After")) || null : null;
    this.resetsAt = body.resets_at ? new Date(body.resets_at) : null;
  }
}

export function onQuota(listener) {
  quotaListeners.add(listener);
}

export function onSessionEnd(listener) {
  sessionEndListeners.add(listener);
}

function noteQuota(response) {
  const limit = response.headers.get("X-RateLimit-Limit");
  if (limit === null) return;
  const quota = {
    limit: Number(limit),
    remaining: Number(response.headers.get("X-RateLimit-Remaining")),
    resetsAt: new Date(Number(response.headers.get("X-RateLimit-Reset")) * 1000),
  };
  quotaListeners.forEach((listener) => listener(quota));
}

export function hasSession() {
  return Boolean(accessToken || localStorage.getItem(REFRESH_KEY));
}

function startSession({ access, refresh }) {
  accessToken = access;
  localStorage.setItem(REFRESH_KEY, refresh);
}

function endSession() {
  accessToken = null;
  localStorage.removeItem(REFRESH_KEY);
  sessionEndListeners.forEach((listener) => listener());
}

async function errorFrom(response) {
  let body = {};
  try {
    body = await response.json();
  } catch {
    body = {};
  }
  return new ApiError(response.status, body, response.headers);
}

async function call(url, init) {
  try {
    return await fetch(url, init);
  } catch (error) {
    if (error.name === "AbortError") throw error;
    throw new ApiError(0);
  }
}

async function refreshAccess() {
  if (!refreshing) {
    const run = async () => {
      const token = localStorage.getItem(REFRESH_KEY);
      if (!token) throw new ApiError(401, {}, null, "session_ended");
      const response = await call(`${API}/auth/token/refresh/`, {
        method: "POST",
        headers: { "Content-Type": "application/json", Accept: "application/json" },
        body: JSON.stringify({ refresh: token }),
      });
      if (response.status === 401 || response.status === 400) {
        // Another tab may have rotated it meanwhile; only a token still ours ends the session.
        if (localStorage.getItem(REFRESH_KEY) === token) endSession();
        throw new ApiError(401, {}, null, "session_ended");
      }
      if (!response.ok) throw await errorFrom(response);
      startSession(await response.json());
    };
    // The refresh token rotates on use: tabs must not spend the same one twice.
    const locked = navigator.locks ? navigator.locks.request("chatbot-refresh", run) : run();
    refreshing = locked.finally(() => {
      refreshing = null;
    });
  }
  return refreshing;
}

async function request(path, { method = "GET", body, auth = true, signal, accept = "application/json" } = {}) {
  const send = async () => {
    // The chosen language, so that the server's own messages can follow it where it translates them.
    const headers = { Accept: accept, "Accept-Language": getLanguage() };
    // A FormData body (a message with images) is multipart: the browser writes its Content-Type.
    const multipart = body instanceof FormData;
    if (body !== undefined && !multipart) headers["Content-Type"] = "application/json";
    if (auth) {
      if (!accessToken) await refreshAccess();
      headers.Authorization = `Bearer ${accessToken}`;
    }
    return call(`${API}${path}`, {
      method,
      headers,
      body: body === undefined || multipart ? body : JSON.stringify(body),
      signal,
    });
  };
  let response = await send();
  if (response.status === 401 && auth) {
    accessToken = null;
    await refreshAccess();
    response = await send();
  }
  noteQuota(response);
  if (!response.ok) throw await errorFrom(response);
  return response;
}

async function json(path, options) {
  const response = await request(path, options);
  return response.status === 204 ? null : response.json();
}

// --- Accounts -------------------------------------------------------------------------------

// --- Staff -------------------------------------------------------------------------------------

const periodQuery = (period) => new URLSearchParams(period).toString();

/** Who used what over `{since, until}` (staff only; 404 for anyone else). */
export const staffUsage = (period = {}) => json(`/staff/usage/?${periodQuery(period)}`);

/** The same period's book as a CSV file (a Blob). */
export async function staffUsageCsv(period = {}) {
  const response = await request(`/staff/usage.csv?${periodQuery(period)}`, { accept: "text/csv" });
  return response.blob();
}

// --- Accounts (sign-up policy) ---------------------------------------------------------------------

export const signupPolicy = () => json("/auth/signup/policy/", { auth: false });

export function signup(fields) {
  return json("/auth/signup/", { method: "POST", body: fields, auth: false });
}

export async function login(email, password) {
  startSession(await json("/auth/token/", { method: "POST", body: { email, password }, auth: false }));
}

export async function logout() {
  const refresh = localStorage.getItem(REFRESH_KEY);
  try {
    if (refresh) await json("/auth/logout/", { method: "POST", body: { refresh } });
  } finally {
    endSession();
  }
}

/** The session is over already (the server ended it with the password): forget its tokens here. */
export function forgetSession() {
  endSession();
}

export const me = () => json("/auth/me/");

// --- Email verification and passwords ---------------------------------------------------------

export const verifyEmail = (key) => json("/auth/email/verify/", { method: "POST", body: { key }, auth: false });
export const resendVerification = () => json("/auth/email/verify/resend/", { method: "POST" });

/** Mail a reset link; the answer is the same whether or not the address has an account. */
export const requestPasswordReset = (email) =>
  json("/auth/password/reset/", { method: "POST", body: { email }, auth: false });

export const confirmPasswordReset = ({ uid, token, newPassword }) =>
  json("/auth/password/reset/confirm/", {
    method: "POST",
    body: { uid, token, new_password: newPassword },
    auth: false,
  });

/** 204, and every session of the user has ended, this one too: log in again with the new password. */
export const changePassword = (currentPassword, newPassword) =>
  json("/auth/password/change/", {
    method: "POST",
    body: { current_password: currentPassword, new_password: newPassword },
  });

// --- Social login (GitHub, Kakao) -------------------------------------------------------------

/** The enabled providers, `[{id, name}]`. */
export const listSocialProviders = () => json("/auth/social/", { auth: false });

/** Where the browser goes (a navigation, not a fetch) to log in with `provider`. */
export function socialStartUrl(provider, { state, codeChallenge, invite }) {
  const query = new URLSearchParams({ state, code_challenge: codeChallenge });
  if (invite) query.set("invite", invite); // spent only if this login makes a new account
  return `${API}/auth/social/${encodeURIComponent(provider)}/start/?${query}`;
}

/** The one-time code of a provider login, with its PKCE verifier, for a session like a password login's. */
export async function socialExchange(code, codeVerifier) {
  const body = { code, code_verifier: codeVerifier };
  startSession(await json("/auth/social/exchange/", { method: "POST", body, auth: false }));
}

/** `{start_url}`: a single-use start that links `provider` to the signed-in user. */
export function socialLinkStart(provider, currentPassword) {
  const body = currentPassword === undefined ? {} : { current_password: currentPassword };
  return json(`/auth/social/${encodeURIComponent(provider)}/link/`, { method: "POST", body });
}

export const socialUnlink = (provider) =>
  json(`/auth/social/${encodeURIComponent(provider)}/`, { method: "DELETE" });

/** Completions and tokens per day, oldest first, days without any included. */
export const usage = (days = 30) => json(`/auth/me/usage/?days=${days}`);

export const listModels = () => json("/models/");

/** System-prompt templates a new chat can start from: `[{id, name, description, variables: [{name, label}]}]`. */
export const listPersonas = () => json("/personas/");

// --- Chats ----------------------------------------------------------------------------------

export function listChats({ search = "", page = 1 } = {}) {
  const query = new URLSearchParams();
  if (search) query.set("search", search);
  if (page > 1) query.set("page", String(page));
  return json(`/chats/${query.size ? `?${query}` : ""}`);
}

export const createChat = (fields) => json("/chats/", { method: "POST", body: fields });
/** Query string of a page of a chat's turns: the newest `turns`, or those `before` a cursor (`older`). */
function pageQuery({ turns, before } = {}) {
  const query = new URLSearchParams();
  if (turns) query.set("turns", String(turns));
  if (before) query.set("before", before);
  return query.size ? `?${query}` : "";
}

/** The chat with its current branch: every turn, or a page (`{turns, before}`; `older` is the next cursor). */
export const getChat = (id, page) => json(`/chats/${id}/${pageQuery(page)}`);
export const updateChat = (id, fields) => json(`/chats/${id}/`, { method: "PATCH", body: fields });
export const deleteChat = (id) => json(`/chats/${id}/`, { method: "DELETE" });
export const deleteAllChats = () => json("/chats/", { method: "DELETE" });

/** The chat as a file: `{blob, filename}`, the name from the server's Content-Disposition. */
export async function exportChat(id, format = "md") {
  const response = await request(`/chats/${id}/export/?format=${format}`, {
    accept: format === "json" ? "application/json" : "text/markdown",
  });
  const filename = filenameFrom(response.headers.get("Content-Disposition")) || `chat-${id}.${format}`;
  return { blob: await response.blob(), filename };
}

/** The chat's read-only link, `{token, url}`: made now, or the live one again. */
export const shareChat = (id) => json(`/chats/${id}/share/`, { method: "POST" });
/** The link stops working at once. */
export const unshareChat = (id) => json(`/chats/${id}/share/`, { method: "DELETE" });
/** A shared chat as its link shows it (`{title, created_at, prompts}`), for anyone: no session needed. */
export const getSharedChat = (token) => json(`/shared/${encodeURIComponent(token)}/`, { auth: false });

/** A message's body: JSON, or multipart with its image files (`images`, File objects). */
function messageBody(content, images = []) {
  if (!images.length) return { content };
  const form = new FormData();
  form.append("content", content);
  images.forEach((image) => form.append("images", image, image.name || "image"));
  return form;
}

export function sendMessage(id, content, { signal, images } = {}) {
  return json(`/chats/${id}/messages/`, { method: "POST", body: messageBody(content, images), signal });
}

/**
 * An image of a message (`url` from its prompt's `images`) as a `blob:` URL the page can show: the
 * image needs the Authorization header, which an `<img src>` cannot send. The caller revokes it.
 */
export async function imageObjectUrl(url) {
  const base = new URL(API, location.href).href;
  const target = new URL(url, location.href).href;
  if (!target.startsWith(`${base}/`)) throw new ApiError(0); // our credentials go to our API only
  const response = await request(target.slice(base.length), { accept: "image/*" });
  return URL.createObjectURL(await response.blob());
}

/**
 * Send a message and read the reply as server-sent events; `onDelta(text)` gets each piece.
 * Resolves to the stored prompt. Refusals and upstream failures reject with an ApiError.
 * Falls back to the plain send where the browser cannot read a response as a stream.
 */
export function streamMessage(id, content, { signal, onDelta, images }) {
  return streamed(`/chats/${id}/messages/`, messageBody(content, images), { signal, onDelta }, () =>
    sendMessage(id, content, { signal, images }),
  );
}

/** Ask the model again for the chat's last message; resolves to the prompt with every answer. */
export function regenerate(id, promptId, { signal } = {}) {
  return json(`/chats/${id}/messages/${promptId}/regenerate/`, { method: "POST", signal });
}

/** `regenerate`, the new answer read as server-sent events like a send (`onDelta` per piece). */
export function streamRegenerate(id, promptId, { signal, onDelta }) {
  return streamed(`/chats/${id}/messages/${promptId}/regenerate/`, undefined, { signal, onDelta }, () =>
    regenerate(id, promptId, { signal }),
  );
}

/** A new version of message `promptId`: it and its answer become the current branch. */
export function editMessage(id, promptId, content, { signal } = {}) {
  return json(`/chats/${id}/messages/${promptId}/edit/`, { method: "POST", body: { content }, signal });
}

/** `editMessage`, the answer read as server-sent events like a send (`onDelta` per piece). */
export function streamEdit(id, promptId, content, { signal, onDelta }) {
  return streamed(`/chats/${id}/messages/${promptId}/edit/`, { content }, { signal, onDelta }, () =>
    editMessage(id, promptId, content, { signal }),
  );
}

/** Show the branch through version `promptId` (the server remembers it); resolves to the chat (a page of it). */
export function switchBranch(id, promptId, page) {
  return json(`/chats/${id}/branch/${pageQuery(page)}`, { method: "POST", body: { prompt_id: promptId } });
}

async function streamed(path, body, { signal, onDelta }, plain) {
  if (typeof ReadableStream === "undefined" || typeof TextDecoder === "undefined") return plain();
  const response = await request(path, { method: "POST", body, signal, accept: "text/event-stream" });
  if (!(response.headers.get("Content-Type") || "").startsWith("text/event-stream") || !response.body) {
    return response.json(); // a server (or proxy) that answered without streaming
  }
  for await (const event of serverSentEvents(response.body)) {
    if (event.name === "delta") onDelta(event.data.content);
    else if (event.name === "done") return event.data;
    else if (event.name === "error") throw new ApiError(event.data.status || 502, event.data);
  }
  throw new ApiError(502, {}, null, "stream_cut");
}

// --- API keys (for scripts and OpenAI clients) -------------------------------------------------

/** The base URL an OpenAI SDK takes to talk to this service. */
export function openAIBaseUrl() {
  const origin = API_BASE_URL.replace(/\/$/, "") || location.origin;
  return `${origin}/api/openai/v1`;
}

export const listApiKeys = () => json("/auth/keys/");
/** A new key; `currentPassword` proves it is the owner (an account without one sends none). */
export function createApiKey(name, currentPassword) {
  const body = currentPassword === undefined ? { name } : { name, current_password: currentPassword };
  return json("/auth/keys/", { method: "POST", body });
}
export const revokeApiKey = (id) => json(`/auth/keys/${id}/`, { method: "DELETE" });
