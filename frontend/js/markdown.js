// Model output as markdown, always through DOMPurify: no scripts, no event handlers, no
// javascript: links, no remote images. The result is a sanitised DocumentFragment, whose fenced
// code blocks are highlighted (highlight.js) once their closing fence has arrived: a block still
// being streamed stays plain, so it does not flicker between guesses.
import hljs from "../vendor/highlight.min.js";
import { marked, Renderer } from "../vendor/marked.esm.js";
import DOMPurify from "../vendor/purify.es.mjs";

const FENCE = /^ {0,3}(`{3,}|~{3,})/;
const HIGHLIGHT_MAX_CHARS = 50_000; // past this a block stays plain: highlighting it would stall the page

/** A fenced block is complete when its last line is a closing fence (an indented block always is). */
function isClosed(token) {
  if (token.codeBlockStyle === "indented") return true;
  const opening = FENCE.exec(token.raw);
  const lines = token.raw.replace(/\n+$/, "").split("\n");
  if (!opening || lines.length < 2) return false;
  const closing = lines.at(-1).trim();
  return closing[0] === opening[1][0] && /^(`+|~+)$/.test(closing) && closing.length >= opening[1].length;
}

marked.setOptions({ gfm: true, breaks: true });
marked.use({
  renderer: {
    code(token) {
      const html = Renderer.prototype.code.call(this, token);
      return html.replace("<pre>", `<pre data-fence="${isClosed(token) ? "closed" : "open"}">`);
    },
  },
});

DOMPurify.addHook("afterSanitizeAttributes", (node) => {
  if (node.tagName === "A") {
    node.setAttribute("target", "_blank");
    node.setAttribute("rel", "noopener noreferrer nofollow");
  }
  if (node.tagName === "IMG") {
    const src = node.getAttribute("src") || "";
    if (!src.startsWith("data:image/")) {
      // A remote image would tell a third party that this page was read: show its text instead.
      node.replaceWith(document.createTextNode(node.getAttribute("alt") || "[image]"));
    }
  }
});

const PURIFY = {
  RETURN_DOM_FRAGMENT: true,
  FORBID_TAGS: ["style", "form", "input", "button", "textarea", "select", "iframe"],
  FORBID_ATTR: ["style"],
};
// What highlight.js writes: spans with its classes around the text it was given (escaped by it).
const HIGHLIGHTED = { RETURN_DOM_FRAGMENT: true, ALLOWED_TAGS: ["span"], ALLOWED_ATTR: ["class"] };

/** The language a block's fence named (`language-python`), or "" if none. */
export function codeLanguage(code) {
  const name = [...code.classList].find((name) => name.startsWith("language-"));
  return name ? name.slice("language-".length) : "";
}

/** The language's name as highlight.js knows it ("Python" for py), else as written. */
export function languageName(language) {
  return hljs.getLanguage(language)?.name || language;
}

// Blocks already highlighted, by language and text: a streamed answer is drawn again every frame.
const cache = new Map();
const CACHE_SIZE = 100;

function highlighted(language, text) {
  const key = `${language}\n${text}`;
  let html = cache.get(key);
  if (html === undefined) {
    html = hljs.highlight(text, { language, ignoreIllegals: true }).value;
    if (cache.size >= CACHE_SIZE) cache.delete(cache.keys().next().value);
    cache.set(key, html);
  }
  return DOMPurify.sanitize(html, HIGHLIGHTED);
}

function highlight(fragment) {
  for (const code of fragment.querySelectorAll("pre > code")) {
    const language = codeLanguage(code);
    const text = code.textContent;
    if (code.parentElement.dataset.fence !== "closed" || !hljs.getLanguage(language)) continue;
    if (text.length > HIGHLIGHT_MAX_CHARS) continue;
    code.replaceChildren(highlighted(language, text));
    code.classList.add("hljs");
  }
  return fragment;
}

export function renderMarkdown(text) {
  return highlight(DOMPurify.sanitize(marked.parse(text || ""), PURIFY));
}
