// Logging in (or linking) with GitHub or Kakao in the browser: our own `state` and PKCE verifier
// for the round trip through the provider, and the return to this page with `#code=` or `#error=`.
// The verifier never leaves this tab until it is exchanged with the code, so a code seen by
// anyone else (history, a screenshot) is worth nothing.
import { loadAccount } from "./actions/account.js";
import * as api from "./api.js";
import { t } from "./i18n.js";
import { errorText } from "./i18n/errors.js";
import { showNotice } from "./state.js";

const PENDING_KEY = "chatbot.social"; // sessionStorage: {state, verifier, provider, flow}
const ERRORS = [
  "access_denied",
  "email_conflict",
  "already_linked",
  "failed",
  "signup_closed",
  "invite_required",
  "invite_invalid",
  "email_domain",
];

function base64url(bytes) {
  let binary = "";
  for (const byte of bytes) binary += String.fromCharCode(byte);
  return btoa(binary).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

function randomText(bytes) {
  return base64url(crypto.getRandomValues(new Uint8Array(bytes)));
}

/** RFC 7636's S256: base64url(SHA-256(verifier)), no padding. */
async function challengeOf(verifier) {
  const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(verifier));
  return base64url(new Uint8Array(digest));
}

/** The provider's name in the current language ("Kakao", "카카오"); `fallback` for one we do not know. */
export function providerName(provider, fallback = provider) {
  return { github: t("social.github"), kakao: t("social.kakao") }[provider] ?? fallback;
}

async function leaveFor(provider, flow, startUrl) {
  const pending = { state: randomText(24), verifier: randomText(32), provider, flow };
  sessionStorage.setItem(PENDING_KEY, JSON.stringify(pending));
  const codeChallenge = await challengeOf(pending.verifier);
  location.assign(startUrl({ state: pending.state, codeChallenge }));
}

/** Go to the provider to log in; the browser comes back to this page with a code. `invite`: the
 * invite code typed on the sign-up page, for a login that makes a new account. */
export function startSocialLogin(provider, { invite } = {}) {
  return leaveFor(provider, "login", (params) => api.socialStartUrl(provider, { ...params, invite }));
}

/**
 * Go to the provider to link it to the signed-in account; the way back is the same as a login's.
 * `currentPassword` proves the owner is here (an account without one sends none).
 */
export async function startSocialLink(provider, currentPassword) {
  const { start_url: startUrl } = await api.socialLinkStart(provider, currentPassword);
  return leaveFor(provider, "link", ({ state, codeChallenge }) => {
    const query = new URLSearchParams({ state, code_challenge: codeChallenge });
    return `${startUrl}${startUrl.includes("?") ? "&" : "?"}${query}`;
  });
}

function takePending() {
  let pending = null;
  try {
    pending = JSON.parse(sessionStorage.getItem(PENDING_KEY));
  } catch {
    pending = null;
  }
  sessionStorage.removeItem(PENDING_KEY);
  return pending && typeof pending === "object" ? pending : null;
}

/**
 * The provider's answer if this page was opened with one (`#code=K&state=S` or `#error=R&state=S`),
 * taken out of the address bar at once; null otherwise.
 */
export function takeSocialCallback() {
  if (!/^#(code|error)=/.test(location.hash)) return null;
  const params = new URLSearchParams(location.hash.slice(1));
  history.replaceState(history.state, "", `${location.pathname}${location.search}`);
  return {
    code: params.get("code"),
    error: params.get("error"),
    state: params.get("state"),
    pending: takePending(),
  };
}

/**
 * Finish what `takeSocialCallback` found: exchange the code (only if `state` is the one this tab
 * made) or explain the error. Resolves to the route to show; a message for it is in the store.
 */
export async function finishSocialLogin({ code, error, state, pending }) {
  const trusted = Boolean(pending && state && state === pending.state);
  const fail = (text) => {
    // A link that failed leaves the user signed in, on their account page.
    const route = !api.hasSession() ? "/login" : trusted && pending.flow === "link" ? "/account" : "/chats";
    showNotice(route, "error", text);
    return route;
  };
  // Without our state the code could be someone else's login, slipped into this page: not used.
  if (code && !trusted) return fail(() => t("social.errors.state"));
  if (!code) {
    if (state && !trusted) return fail(() => t("social.errors.state"));
    const reason = ERRORS.includes(error) ? error : "failed";
    const provider = () => (pending?.provider ? providerName(pending.provider) : t("social.someProvider"));
    return fail(() => t(`social.errors.${reason}`, { provider: provider() }));
  }
  try {
    await api.socialExchange(code, pending.verifier);
    await loadAccount();
  } catch (failure) {
    return fail(() => errorText(failure, { byStatus: { 400: "social.errors.failed" } }));
  }
  if (pending.flow === "link") {
    showNotice("/account", "info", () => t("account.linked", { provider: providerName(pending.provider) }));
    return "/account";
  }
  return "/chats";
}
