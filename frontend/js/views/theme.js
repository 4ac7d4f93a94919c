// The theme switch (light, dark, system), beside the language switch.
import { h } from "../dom.js";
import { t } from "../i18n.js";
import { getThemeChoice, setThemeChoice, THEMES } from "../theme.js";

export function themeSelect() {
  const select = h(
    "select",
    { id: "theme", title: t("theme.label"), onchange: () => setThemeChoice(select.value) },
    THEMES.map((theme) => h("option", { value: theme, selected: theme === getThemeChoice() }, t(`theme.${theme}`))),
  );
  return h("div", { class: "theme" }, h("label", { for: "theme", class: "visually-hidden" }, t("theme.label")), select);
}
