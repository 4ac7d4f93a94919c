// Confirming an email address: the banner that asks for it (with Send again) and the page the
// mailed link opens (#/verify-email/<key>), signed in or not.
import { confirmEmail, isSignedIn, refreshAccount, resendVerification } from "../actions/account.js";
import { h } from "../dom.js";
import { t } from "../i18n.js";
import { errorText } from "../i18n/errors.js";
import { getState, subscribe } from "../state.js";

export function verifyEmailView({ key }) {
  const status = h("p", { class: "notice info", role: "status" }, t("verify.checking"));
  const failure = h("p", { class: "notice error", role: "alert" });
  const next = h("p", { class: "switch" });
  const card = h(
    "section",
    { class: "card auth" },
    h("h1", { tabindex: "-1" }, t("verify.title")),
    status,
    failure,
    next,
  );
  confirmEmail(key).then(async (error) => {
    const signedIn = isSignedIn();
    if (error) {
      status.textContent = "";
      failure.textContent = error.status === 400 ? t("verify.invalid") : errorText(error);
    } else {
      status.textContent = t("verify.done");
      if (signedIn) await refreshAccount().catch(() => {}); // the banner goes
    }
    next.append(
      signedIn
        ? h("a", { href: "#/chats" }, t("verify.toChats"))
        : h("a", { href: "#/login" }, t("auth.logInLink")),
    );
  });
  return card;
}

/** Shown in the signed-in app while the account's address is not confirmed. */
export function verificationBanner() {
  const text = h("span", { class: "text" });
  const result = h("span", { class: "result", role: "status" });
  const resend = h(
    "button",
    {
      type: "button",
      onclick: async () => {
        if (resend.getAttribute("aria-disabled") === "true") return;
        resend.setAttribute("aria-disabled", "true");
        result.textContent = "";
        try {
          await resendVerification();
          result.textContent = t("verify.sent");
        } catch (error) {
          result.textContent = errorText(error);
        } finally {
          resend.removeAttribute("aria-disabled");
        }
      },
    },
    t("verify.resend"),
  );
  const banner = h(
    "section",
    { class: "verify-banner", "aria-label": t("verify.bannerLabel"), hidden: true },
    text,
    resend,
    result,
  );
  function render({ user }) {
    const unconfirmed = Boolean(user?.email && !user.email_verified);
    banner.hidden = !unconfirmed;
    text.textContent = unconfirmed ? t("verify.banner", { email: user.email }) : "";
  }
  render(getState());
  banner.unsubscribe = subscribe(render);
  return banner;
}
