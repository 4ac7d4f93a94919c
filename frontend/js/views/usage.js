// Usage: today's quota, then replies and tokens per day over the last 30 days, as charts and a table.
import { loadUsage } from "../actions/account.js";
import { barChart } from "../chart.js";
import { clear, h } from "../dom.js";
import { t } from "../i18n.js";
import { errorText } from "../i18n/errors.js";
import { formatDay, formatNumber, formatRelative, formatTime } from "../i18n/format.js";
import { getState, subscribe } from "../state.js";

const DAYS = 30;

/** "2025-11-24" as that calendar day at local midnight (the server's day, shown as a date only). */
function dayDate(day) {
  const [year, month, date] = day.split("-").map(Number);
  return new Date(year, month - 1, date);
}

function quotaSection() {
  const used = h("p", { class: "quota-used" });
  const left = h("p", { class: "hint" });
  const meter = h("progress", { "aria-labelledby": "usage-today" });
  const tokens = h("ul", { class: "token-budgets hint" });
  const section = h(
    "section",
    { class: "card usage-today", "aria-labelledby": "usage-today" },
    h("h2", { id: "usage-today" }, t("usage.today")),
    used,
    meter,
    left,
    tokens,
  );
  function render({ quota, user }) {
    section.hidden = !quota;
    if (!quota) return;
    // The token budgets that apply (a limit of null is none), as the server counted them last.
    const budgets = user?.quota?.tokens || {};
    tokens.replaceChildren(
      ...["daily", "monthly"]
        .filter((name) => budgets[name]?.limit !== null && budgets[name]?.limit !== undefined)
        .map((name) =>
          h(
            "li",
            { dataset: { window: name } },
            t(`usage.tokenBudget.${name}`, {
              used: formatNumber(budgets[name].used),
              limit: formatNumber(budgets[name].limit),
              remaining: formatNumber(budgets[name].remaining),
            }),
          ),
        ),
    );
    const spent = quota.limit - quota.remaining;
    used.textContent = t("usage.quotaUsed", { used: spent, limit: quota.limit, count: quota.limit });
    meter.max = Math.max(1, quota.limit);
    meter.value = spent;
    left.textContent = t("usage.quotaLeft", {
      remaining: quota.remaining,
      relative: formatRelative(quota.resetsAt),
      time: formatTime(quota.resetsAt),
    });
  }
  render(getState());
  section.unsubscribe = subscribe(render);
  return section;
}

function usageTable(usage) {
  const number = (value) => formatNumber(value);
  return h(
    "table",
    { class: "usage-table" },
    h("caption", {}, t("usage.tableCaption")),
    h(
      "thead",
      {},
      h(
        "tr",
        {},
        [t("usage.day"), t("usage.replies"), t("usage.promptTokens"), t("usage.completionTokens")].map((label) =>
          h("th", { scope: "col" }, label),
        ),
      ),
    ),
    h(
      "tbody",
      {},
      usage.map((entry) =>
        h(
          "tr",
          { dataset: { day: entry.day } },
          h("th", { scope: "row" }, formatDay(dayDate(entry.day))),
          h("td", {}, number(entry.completions)),
          h("td", {}, number(entry.prompt_tokens)),
          h("td", {}, number(entry.completion_tokens)),
        ),
      ),
    ),
  );
}

export function usageView() {
  const error = h("p", { class: "form-error", role: "alert" });
  const quota = quotaSection();
  const charts = h("div", { class: "usage-charts" });
  const view = h(
    "main",
    { class: "usage" },
    h("h1", { tabindex: "-1" }, t("usage.title")),
    quota,
    error,
    charts,
  );
  let observer = null;

  function show(usage) {
    const last = usage.length - 1;
    const title = (entry) => formatDay(dayDate(entry.day));
    // A date under every 7th bar, counted back from today so that today always has one.
    const axisLabel = (entry, index) =>
      index === last ? t("usage.today") : (last - index) % 7 === 0 ? formatDay(dayDate(entry.day), "short") : "";
    const replies = usage.map((entry, index) => ({
      key: entry.day,
      axisLabel: axisLabel(entry, index),
      title: t("usage.replyBar", { day: title(entry), count: entry.completions }),
      values: [entry.completions],
    }));
    const tokens = usage.map((entry, index) => ({
      key: entry.day,
      axisLabel: axisLabel(entry, index),
      title: t("usage.tokenBar", {
        day: title(entry),
        prompt: formatNumber(entry.prompt_tokens),
        completion: formatNumber(entry.completion_tokens),
      }),
      values: [entry.prompt_tokens, entry.completion_tokens],
    }));
    const total = (key) => usage.reduce((sum, entry) => sum + entry[key], 0);
    const totalReplies = total("completions");
    const busiest = usage.reduce((best, entry) => (entry.completions > best.completions ? entry : best), usage[0]);
    const repliesSummary = totalReplies
      ? t("usage.repliesSummary", {
          total: formatNumber(totalReplies),
          count: totalReplies,
          days: DAYS,
          day: formatDay(dayDate(busiest.day), "medium"),
          max: formatNumber(busiest.completions),
        })
      : t("usage.noReplies", { days: DAYS });
    const tokensSummary = t("usage.tokensSummary", {
      total: formatNumber(total("prompt_tokens") + total("completion_tokens")),
      prompt: formatNumber(total("prompt_tokens")),
      completion: formatNumber(total("completion_tokens")),
      days: DAYS,
    });
    const compact = (value) => formatNumber(value, { notation: "compact" });
    const lastDays = () => h("span", { class: "hint" }, t("usage.lastDays", { days: DAYS }));

    const repliesFigure = h("div", { class: "chart" });
    const tokensFigure = h("div", { class: "chart" });
    const draw = () => {
      const width = Math.floor(repliesFigure.clientWidth) || 600;
      repliesFigure.replaceChildren(
        barChart({
          items: replies,
          series: [{ className: "series-replies" }],
          width,
          name: `${t("usage.repliesTitle")}, ${t("usage.lastDays", { days: DAYS })}`,
          describedBy: "replies-summary",
          formatValue: (value) => formatNumber(value),
        }),
      );
      tokensFigure.replaceChildren(
        barChart({
          items: tokens,
          series: [{ className: "series-prompt" }, { className: "series-completion" }],
          width,
          height: 180,
          name: `${t("usage.tokensTitle")}, ${t("usage.lastDays", { days: DAYS })}`,
          describedBy: "tokens-summary",
          formatValue: compact,
          showTotals: false,
        }),
      );
    };

    const table = h("div", { class: "usage-numbers visually-hidden", id: "usage-numbers" }, usageTable(usage));
    const toggle = h(
      "button",
      {
        type: "button",
        "aria-expanded": "false",
        "aria-controls": "usage-numbers",
        onclick: () => {
          const open = table.classList.toggle("visually-hidden") === false;
          toggle.setAttribute("aria-expanded", String(open));
          toggle.textContent = open ? t("usage.hideTable") : t("usage.showTable");
        },
      },
      t("usage.showTable"),
    );

    clear(charts).append(
      h(
        "section",
        { class: "card", "aria-labelledby": "replies-title" },
        h("h2", { id: "replies-title" }, t("usage.repliesTitle"), lastDays()),
        h("p", { id: "replies-summary", class: "summary" }, repliesSummary),
        repliesFigure,
      ),
      h(
        "section",
        { class: "card", "aria-labelledby": "tokens-title" },
        h("h2", { id: "tokens-title" }, t("usage.tokensTitle"), lastDays()),
        h("p", { id: "tokens-summary", class: "summary" }, tokensSummary),
        h(
          "ul",
          { class: "legend", "aria-hidden": "true" },
          h("li", { class: "series-prompt" }, t("usage.promptTokens")),
          h("li", { class: "series-completion" }, t("usage.completionTokens")),
        ),
        tokensFigure,
      ),
      h("div", { class: "usage-table-toggle" }, toggle),
      table,
    );
    // Drawn at the width it has, and again when that changes (a phone turned, a window resized).
    if (typeof ResizeObserver === "function") {
      let lastWidth = 0;
      observer = new ResizeObserver(() => {
        const width = Math.floor(repliesFigure.clientWidth);
        if (width && width !== lastWidth) {
          lastWidth = width;
          draw();
        }
      });
      observer.observe(repliesFigure);
    } else {
      draw();
    }
  }

  loadUsage(DAYS).then(
    show,
    (failure) => (error.textContent = errorText(failure)),
  );
  view.cleanup = () => {
    quota.unsubscribe();
    observer?.disconnect();
  };
  return view;
}
