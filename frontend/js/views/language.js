// The language switch, in the top bar and on the log-in and sign-up pages.
import { h } from "../dom.js";
import { getLanguage, LANGUAGES, setLanguage, t } from "../i18n.js";

export function languageSelect() {
  const select = h(
    "select",
    { id: "language", onchange: () => setLanguage(select.value) },
    Object.entries(LANGUAGES).map(([code, name]) =>
      h("option", { value: code, lang: code, selected: code === getLanguage() }, name),
    ),
  );
  return h(
    "div",
    { class: "language" },
    h("label", { for: "language", class: "visually-hidden" }, t("language.label")),
    select,
  );
}
