// Before the first paint (a classic script in <head>, so the page waits for it): the remembered
// theme, or the system's, set on <html> as data-theme. css/app.css then needs its dark palette once,
// and a dark page never flashes light. js/theme.js takes over from here: the switch, the system's
// changes, and the highlighted code's stylesheet.
(function () {
  let saved = null;
  try {
    saved = localStorage.getItem("chatbot.theme");
  } catch {
    // storage can be switched off; the system's theme still applies
  }
  const systemDark = window.matchMedia("(prefers-color-scheme: dark)").matches;
  const dark = saved === "dark" || (saved !== "light" && systemDark);
  document.documentElement.dataset.theme = dark ? "dark" : "light";
})();
