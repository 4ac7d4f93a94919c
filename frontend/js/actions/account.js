// Store actions for the session and the account: logging in and out, the user and today's quota,
// confirming the address, passwords, linked providers, and the usage of the last days.
import * as api from "../api.js";
import { t } from "../i18n.js";
import { getState, quotaFromUser, setState, showNotice } from "../state.js";
import { emptyChatList, refreshChatList } from "./chats.js";

// --- The session --------------------------------------------------------------------------------

/** Whether this browser holds a session (it may still turn out to have ended on the server). */
export const isSignedIn = () => api.hasSession();

export const logIn = (email, password) => api.login(email, password);

/** Who may sign up now: `{mode: "open" | "invite" | "closed", email_domains, require_verified_email}`. */
export const loadSignupPolicy = () => api.signupPolicy();

/** A new account (`{email, password, nickname}`), logged in at once. */
export async function signUp({ email, password, nickname, invite_code: inviteCode }) {
  const body = { email, password };
  if (nickname) body.nickname = nickname;
  if (inviteCode) body.invite_code = inviteCode;
  await api.signup(body);
  await api.login(email, password);
}

/** Log out here and on the server; the session ends here even if the server cannot be told. */
export const logOut = () => api.logout();

export function clearSession() {
  setState({ user: null, quota: null, ...emptyChatList() });
}

// --- The account --------------------------------------------------------------------------------

/** The user and their quota as the server has them now. */
export async function refreshAccount() {
  const user = await api.me();
  setState({ user, quota: quotaFromUser(user.quota) });
  return user;
}

export async function loadAccount() {
  await Promise.all([refreshAccount(), refreshChatList({ pages: 1 })]);
}

/** Completions and tokens per day over the last `days` (and the quota, as it is now, in the store). */
export async function loadUsage(days) {
  const [usage] = await Promise.all([api.usage(days), refreshAccount()]);
  return usage;
}

// --- Email address and passwords ----------------------------------------------------------------

/** A key works once, and its page may be drawn again (a language switch): one request per key. */
const confirmations = new Map();

/** Confirm the address with a mailed key: resolves to null, or to the error (400: a bad key). */
export function confirmEmail(key) {
  if (!confirmations.has(key)) {
    const attempt = api.verifyEmail(key).then(
      () => null,
      (error) => {
        if (error.status !== 400) confirmations.delete(key); // not the key's fault: may be tried again
        return error;
      },
    );
    confirmations.set(key, attempt);
  }
  return confirmations.get(key);
}

export const resendVerification = () => api.resendVerification();

/** Mail a reset link; the answer is the same whether or not the address has an account. */
export const requestPasswordReset = (email) => api.requestPasswordReset(email);

/**
 * Set a new password from a mailed link. Every session of that account has ended; one open in
 * this browser is logged out too, and the log-in page says that the password was changed.
 */
export async function resetPassword({ uid, token, newPassword }) {
  await api.confirmPasswordReset({ uid, token, newPassword });
  showNotice("/login", "info", () => t("reset.done"));
  if (api.hasSession()) await api.logout().catch(() => {});
}

/**
 * Change the password. The server ends every session with it, this one too, so we log in again
 * at once with the new one; if that fails, the log-in page says what happened.
 */
export async function changePassword({ currentPassword, newPassword }) {
  const { email } = getState().user;
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

// --- Social login providers ---------------------------------------------------------------------

/** The providers the server enables, asked once per page load; none if the server cannot say. */
export async function loadSocialProviders() {
  if (!getState().socialProviders) {
    try {
      setState({ socialProviders: await api.listSocialProviders() });
    } catch {
      return []; // asked again next time
    }
  }
  return getState().socialProviders;
}

export async function unlinkProvider(provider) {
  await api.socialUnlink(provider);
  await refreshAccount();
}
