// The colour theme: light, dark, or the system's (the default, following prefers-color-scheme as it
// changes); the choice is remembered. `data-theme` on <html> says which one is drawn, and the
// highlighted code's stylesheet (vendor/highlight-styles) is switched to match.

const STORAGE_KEY = "chatbot.theme";
export const THEMES = ["light", "dark", "system"];
const systemDark = window.matchMedia("(prefers-color-scheme: dark)");

let choice = savedChoice();
applyTheme();
systemDark.addEventListener("change", () => choice === "system" && applyTheme());

function savedChoice() {
  try {
    const saved = localStorage.getItem(STORAGE_KEY);
    if (THEMES.includes(saved)) return saved;
  } catch {
    // storage can be switched off; the system's theme still applies
  }
  return "system";
}

/** The theme drawn now: "light" or "dark". */
export function currentTheme() {
  return choice === "system" ? (systemDark.matches ? "dark" : "light") : choice;
}

function applyTheme() {
  const theme = currentTheme();
  document.documentElement.dataset.theme = theme;
  const light = document.getElementById("code-theme-light");
  const dark = document.getElementById("code-theme-dark");
  if (light) light.disabled = theme === "dark";
  if (dark) dark.disabled = theme !== "dark";
}

export function getThemeChoice() {
  return choice;
}

export function setThemeChoice(next) {
  if (!THEMES.includes(next)) return;
  choice = next;
  try {
    localStorage.setItem(STORAGE_KEY, next);
  } catch {
    // not remembered, but switched
  }
  applyTheme();
}
