// A shared chat (#/shared/<token>), read-only, for anyone with the link, signed in or not: its
// title and conversation, nothing to send. While it is shown the page asks search engines not
// to index it.
import * as api from "../api.js";
import { h } from "../dom.js";
import { t } from "../i18n.js";
import { errorText } from "../i18n/errors.js";
import { formatDateTime } from "../i18n/format.js";
import { renderMarkdown } from "../markdown.js";
import { chatTitle } from "../state.js";
import { standalonePage } from "./auth.js";
import { withCodeTools } from "./code-block.js";
import { answerText, author } from "./reply.js";

function turn(prompt) {
  const items = [
    h(
      "li",
      { class: "message user" },
      author(t("shared.user"), prompt.created_at),
      h("div", { class: "text" }, prompt.content),
    ),
  ];
  if (prompt.reply) {
    items.push(
      h(
        "li",
        { class: "message assistant" },
        author(t("conversation.assistant"), prompt.reply.created_at),
        h("div", { class: "text markdown" }, withCodeTools(renderMarkdown(answerText(prompt.reply)))),
      ),
    );
  }
  return items;
}

function noIndex() {
  const meta = h("meta", { name: "robots", content: "noindex, nofollow" });
  document.head.append(meta);
  return () => meta.remove();
}

export function sharedView({ token }) {
  const title = h("h1", { class: "chat-title", tabindex: "-1" }, t("conversation.loading"));
  const meta = h("p", { class: "chat-meta" });
  const messages = h("ol", { class: "messages", "aria-label": t("conversation.label") });
  const problem = h("p", { class: "banner", role: "alert", hidden: true });
  const home = h(
    "p",
    { class: "switch" },
    h("a", { href: api.hasSession() ? "#/chats" : "#/login" }, t("shared.openApp")),
  );
  const card = h("article", { class: "conversation shared" }, title, meta, problem, messages, home);
  const page = standalonePage(card);
  page.classList.add("shared-page");
  page.cleanup = noIndex();

  api
    .getSharedChat(token)
    .then((chat) => {
      title.textContent = chatTitle(chat);
      meta.textContent = t("shared.readOnly", { date: formatDateTime(new Date(chat.created_at)) });
      messages.append(...chat.prompts.flatMap(turn));
    })
    .catch((error) => {
      title.textContent = error.status === 404 ? t("shared.notFoundTitle") : t("conversation.loadFailedTitle");
      problem.textContent = error.status === 404 ? t("shared.notFound") : errorText(error);
      problem.hidden = false;
    });
  return page;
}
