// Each code block of an answer gets a header: the language's name and `Copy code`.
import { h } from "../dom.js";
import { t } from "../i18n.js";
import { codeLanguage, languageName } from "../markdown.js";
import { copyToClipboard } from "./copy.js";

const FEEDBACK_MS = 2000;

function codeBlock(pre) {
  const code = pre.querySelector("code") || pre;
  const language = code === pre ? "" : codeLanguage(code);
  const status = h("span", { class: "code-copy-status", role: "status" });
  let timer = 0;
  const copy = h(
    "button",
    {
      type: "button",
      class: "code-copy",
      onclick: async () => {
        clearTimeout(timer);
        const copied = await copyToClipboard(code.textContent.replace(/\n$/, ""), code);
        copy.textContent = copied ? t("code.copied") : t("code.copy");
        status.textContent = copied ? t("code.copiedStatus") : t("reply.copyByHand");
        timer = setTimeout(() => {
          copy.textContent = t("code.copy");
          status.textContent = "";
        }, (copied ? 1 : 4) * FEEDBACK_MS);
      },
    },
    t("code.copy"),
  );
  const label = h("span", { class: "code-language" }, language ? languageName(language) : t("code.plain"));
  const block = h("div", { class: "code-block" }, h("div", { class: "code-header" }, label, copy, status));
  pre.replaceWith(block);
  block.append(pre);
}

/** The fragment (a rendered answer) with every `<pre>` in a code block with its header. */
export function withCodeTools(fragment) {
  fragment.querySelectorAll("pre").forEach(codeBlock);
  return fragment;
}
