// A failed request in words for the person: our own for the statuses we know, else the server's.
import { t } from "../i18n.js";
import { formatRelative, formatTime } from "./format.js";

/**
 * What to tell the person about a failed request (an ApiError from api.js, or anything thrown).
 * Known statuses get our own words; otherwise the server's detail (or its first field error).
 * `byStatus` lets a view name its own key for a status, e.g. {401: "auth.wrongCredentials"}.
 */
export function errorText(error, { byStatus = {} } = {}) {
  const status = error?.status;
  if (typeof status !== "number") return t("errors.unexpected");
  if (byStatus[status]) return t(byStatus[status]);
  if (error.code === "stream_cut") return t("errors.streamCut");
  if (status === 0) return t("errors.network");
  if (status === 401) return t("errors.sessionEnded");
  if (status === 429 && error.resetsAt && error.rateRemaining) {
    // Completions are left (X-RateLimit-Remaining): it is the token budget that refused.
    const { limit = 0, remaining = 0 } = error.body || {};
    return t("errors.tokens", {
      limit,
      remaining,
      time: formatTime(error.resetsAt),
      relative: formatRelative(error.resetsAt),
    });
  }
  if (status === 503 && error.resetsAt) {
    return t("errors.serviceBudget", { time: formatTime(error.resetsAt), relative: formatRelative(error.resetsAt) });
  }
  if (status === 429) {
    if (error.resetsAt) {
      const limit = error.body?.limit ?? 0;
      return t("errors.quota", {
        limit,
        count: limit,
        time: formatTime(error.resetsAt),
        relative: formatRelative(error.resetsAt),
      });
    }
    if (error.retryAfter) {
      return t("errors.tooMany", { relative: formatRelative(new Date(Date.now() + error.retryAfter * 1000)) });
    }
    return t("errors.tooManySoon");
  }
  if (status === 413) return t("errors.tooLarge");
  if (status === 502) return t("errors.upstream");
  if (status === 503) return t("errors.busy");
  if (status === 504) return t("errors.timeout");
  if (status >= 500) return t("errors.server", { status });
  if (error.detail) return error.detail;
  const fieldMessages = Object.values(error.fields || {})
    .flat(Infinity)
    .filter((message) => typeof message === "string");
  if (fieldMessages.length) return fieldMessages[0];
  return status === 400 ? t("errors.checkInput") : t("errors.status", { status });
}

/** `action` as a handler that does not throw: its failure goes, in words, to `show(text)`. */
export function reportingFailures(action, show) {
  return async (...args) => {
    try {
      await action(...args);
    } catch (error) {
      show(errorText(error));
    }
  };
}
