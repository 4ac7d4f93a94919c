// A new chat, the way a guide would start one: optional settings, then three questions one at a time.
import * as api from "../api.js";
import { h } from "../dom.js";
import { refreshChatList } from "./shell.js";

const QUESTIONS = [
  { kind: "current_state", text: "Where are you now? Tell me about your current situation." },
  { kind: "goal", text: "What would you like to achieve?" },
  { kind: "misc", text: "Anything else I should keep in mind?" },
];

export function newChatView() {
  const answers = {};
  const error = h("p", { class: "form-error", role: "alert" });
  const model = h("input", { id: "chat-model", type: "text", placeholder: "server default", autocomplete: "off" });
  const temperature = h("input", { id: "chat-temperature", type: "number", min: 0, max: 2, step: 0.1, placeholder: "1.0" });
  const stream = h("input", { id: "chat-stream", type: "checkbox", checked: true });
  const step = h("div", { class: "step" });
  const main = h("main", { class: "conversation new-chat" }, h("h1", {}, "New chat"), step, error);

  function settings() {
    return h(
      "section",
      { "aria-labelledby": "settings-title" },
      h("h2", { id: "settings-title" }, "Settings (optional)"),
      h("div", { class: "field" }, h("label", { for: "chat-model" }, "Model"), model),
      h("div", { class: "field" }, h("label", { for: "chat-temperature" }, "Temperature (0 to 2)"), temperature),
      h("div", { class: "field inline" }, stream, h("label", { for: "chat-stream" }, "Show replies as they are written")),
      h("div", { class: "actions" }, h("button", { type: "button", class: "primary", onclick: () => ask(0) }, "Next")),
    );
  }

  function ask(index) {
    const question = QUESTIONS[index];
    const last = index === QUESTIONS.length - 1;
    const answer = h("textarea", { id: `answer-${question.kind}`, rows: 3, maxlength: 2000 });
    answer.value = answers[question.kind] || "";
    const next = () => {
      answers[question.kind] = answer.value.trim();
      if (last) start();
      else ask(index + 1);
    };
    step.replaceChildren(
      h(
        "form",
        { onsubmit: (event) => (event.preventDefault(), next()) },
        h("p", { class: "progress" }, `Question ${index + 1} of ${QUESTIONS.length}`),
        h("label", { for: answer.id, class: "question" }, question.text),
        answer,
        h(
          "div",
          { class: "actions" },
          h("button", { type: "button", onclick: () => (index ? ask(index - 1) : step.replaceChildren(settings())) }, "Back"),
          h("button", { type: "button", onclick: () => ((answer.value = ""), next()) }, "Skip"),
          h("button", { type: "submit", class: "primary" }, last ? "Start chat" : "Next"),
        ),
      ),
    );
    answer.focus();
  }

  async function start() {
    error.textContent = "";
    const config = { stream: stream.checked };
    if (model.value.trim()) config.model = model.value.trim();
    if (temperature.value !== "") config.temperature = Number(temperature.value);
    try {
      const chat = await api.createChat({ config, context: answers });
      await refreshChatList();
      location.hash = `#/chats/${chat.id}`;
    } catch (failure) {
      const fields = failure.fields?.config || {};
      error.textContent = Object.values(fields).flat().join(" ") || failure.message;
      step.replaceChildren(settings());
    }
  }

  step.append(settings());
  return main;
}
