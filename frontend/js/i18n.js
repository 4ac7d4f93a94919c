// The chosen language (the browser's, or the switch's, remembered) and `t()`, the SPA's words in it.
// One dictionary per language in i18n/ (en.js, ko.js), keys grouped by view: `t("auth.email")`.
// A new view adds its own group to both (the browser tests check that they have the same keys).
// Dates and numbers are formatted in i18n/format.js, failed requests put in words in i18n/errors.js.
import { en } from "./i18n/en.js";
import { ko } from "./i18n/ko.js";

const STORAGE_KEY = "chatbot.language";

/** The languages offered in the switch, each named in its own language. */
export const LANGUAGES = { en: "English", ko: "한국어" };

export const dictionaries = { en, ko };

let language = initialLanguage();
const listeners = new Set();
applyLanguage();

function initialLanguage() {
  let saved = null;
  try {
    saved = localStorage.getItem(STORAGE_KEY);
  } catch {
    // storage can be switched off; the browser's language still applies
  }
  if (saved && saved in dictionaries) return saved;
  return (navigator.language || "").toLowerCase().startsWith("ko") ? "ko" : "en";
}

function applyLanguage() {
  document.documentElement.lang = language;
  document.title = t("app.name");
  const manifest = document.getElementById("manifest");
  if (manifest) manifest.setAttribute("href", `manifest.${language}.webmanifest`);
}

export function getLanguage() {
  return language;
}

/** Switch and remember the language; listeners (the router) render the current view again. */
export function setLanguage(next) {
  if (!(next in dictionaries) || next === language) return;
  language = next;
  try {
    localStorage.setItem(STORAGE_KEY, next);
  } catch {
    // not remembered, but switched
  }
  applyLanguage();
  listeners.forEach((listener) => listener(language));
}

export function onLanguageChange(listener) {
  listeners.add(listener);
  return () => listeners.delete(listener);
}

function lookup(dictionary, key) {
  return key.split(".").reduce((node, part) => (node == null ? undefined : node[part]), dictionary);
}

/** The text for `key` in the current language, with `{name}` replaced by `params.name`. */
export function t(key, params = {}) {
  let value = lookup(dictionaries[language], key) ?? lookup(en, key);
  if (value === undefined) {
    console.warn(`i18n: no text for "${key}"`);
    return key;
  }
  if (typeof value === "object") value = value[new Intl.PluralRules(locale()).select(params.count ?? 0)] ?? value.other;
  return value.replace(/\{(\w+)\}/g, (match, name) => (name in params ? String(params[name]) : match));
}

// --- The locale of dates, times and numbers (formatted in i18n/format.js) -----------------------

/** The browser's own locale when it is in the chosen language (en-GB keeps its dates), else a default. */
export function locale() {
  const browser = navigator.language || "";
  if (browser.toLowerCase().startsWith(language)) return browser;
  return language === "ko" ? "ko-KR" : "en-US";
}

