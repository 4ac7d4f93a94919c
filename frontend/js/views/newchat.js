// A new chat, the way a guide would start one: a persona and optional settings, then three questions
// one at a time.
import { createChat, loadModels } from "../actions/chats.js";
import { h } from "../dom.js";
import { t } from "../i18n.js";
import { errorText } from "../i18n/errors.js";
import { personaPicker } from "./personas.js";

const QUESTIONS = ["current_state", "goal", "misc"];

export function newChatView() {
  const answers = {};
  const error = h("p", { class: "form-error", role: "alert" });
  // The server's models, its default chosen; until they arrive (or if they cannot), the server decides.
  const model = h("select", { id: "chat-model" }, h("option", { value: "" }, t("newChat.modelsLoading")));
  const temperature = h("input", { id: "chat-temperature", type: "number", min: 0, max: 2, step: 0.1, placeholder: "1.0" });
  const stream = h("input", { id: "chat-stream", type: "checkbox", checked: true });
  const persona = personaPicker();
  const step = h("div", { class: "step" });
  const main = h("main", { class: "conversation new-chat" }, h("h1", { tabindex: "-1" }, t("newChat.title")), step, error);

  loadModels().then(
    (available) => {
      const chosen = model.value;
      model.replaceChildren(
        ...available.models.map((name) =>
          h(
            "option",
            { value: name, selected: chosen ? name === chosen : name === available.default },
            name === available.default ? t("newChat.modelDefault", { model: name }) : name,
          ),
        ),
      );
    },
    () => model.replaceChildren(h("option", { value: "" }, t("newChat.serverDefault"))),
  );

  // The first step: who the assistant should be, and how it answers.
  function settings() {
    return h(
      "form",
      { novalidate: true, onsubmit: (event) => (event.preventDefault(), persona.validate() && ask(0)) },
      persona.element,
      h(
        "section",
        { "aria-labelledby": "settings-title" },
        h("h2", { id: "settings-title" }, t("newChat.settings")),
        h("div", { class: "field" }, h("label", { for: "chat-model" }, t("newChat.model")), model),
        h("div", { class: "field" }, h("label", { for: "chat-temperature" }, t("newChat.temperature")), temperature),
        h("div", { class: "field inline" }, stream, h("label", { for: "chat-stream" }, t("newChat.stream"))),
      ),
      h("div", { class: "actions" }, h("button", { type: "submit", class: "primary" }, t("newChat.next"))),
    );
  }

  function ask(index) {
    const kind = QUESTIONS[index];
    const last = index === QUESTIONS.length - 1;
    const answer = h("textarea", { id: `answer-${kind}`, rows: 3, maxlength: 2000 });
    answer.value = answers[kind] || "";
    const next = () => {
      answers[kind] = answer.value.trim();
      if (last) start();
      else ask(index + 1);
    };
    step.replaceChildren(
      h(
        "form",
        { onsubmit: (event) => (event.preventDefault(), next()) },
        h("p", { class: "progress" }, t("newChat.progress", { number: index + 1, total: QUESTIONS.length })),
        h("label", { for: answer.id, class: "question" }, t(`newChat.${kind}`)),
        answer,
        h(
          "div",
          { class: "actions" },
          h(
            "button",
            { type: "button", onclick: () => (index ? ask(index - 1) : (step.replaceChildren(settings()), persona.focus())) },
            t("newChat.back"),
          ),
          h("button", { type: "button", onclick: () => ((answer.value = ""), next()) }, t("newChat.skip")),
          h("button", { type: "submit", class: "primary" }, last ? t("newChat.start") : t("newChat.next")),
        ),
      ),
    );
    answer.focus();
  }

  async function start() {
    error.textContent = "";
    const config = { stream: stream.checked };
    if (model.value) config.model = model.value;
    if (temperature.value !== "") config.temperature = Number(temperature.value);
    // A persona's prompt becomes the system prompt (so none is sent with it).
    const chosen = persona.choice();
    try {
      const chat = await createChat({ config, context: answers, ...(chosen ? { persona: chosen } : {}) });
      location.hash = `#/chats/${chat.id}`;
    } catch (failure) {
      const fields = failure.fields?.config || {};
      error.textContent = Object.values(fields).flat().join(" ") || errorText(failure);
      step.replaceChildren(settings());
    }
  }

  step.append(settings());
  return main;
}
