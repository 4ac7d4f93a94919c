// The staff's page (#/staff): who used what over a period (by user, group, model and day), the
// service's token budget today and this month, a chart of tokens per day, and a CSV download.
// The API answers 404 to anyone else, and the link to this page is shown to staff only.
import * as api from "../api.js";
import { barChart } from "../chart.js";
import { clear, downloadFile, h } from "../dom.js";
import { t } from "../i18n.js";
import { errorText } from "../i18n/errors.js";
import { formatDay, formatNumber, formatRelative } from "../i18n/format.js";

const money = (cost) => (cost === null || cost === undefined ? t("staff.noPrice") : `$${Number(cost).toFixed(4)}`);

function dayDate(day) {
  const [year, month, date] = day.split("-").map(Number);
  return new Date(year, month - 1, date);
}

function table({ caption, columns, rows }) {
  return h(
    "table",
    { class: "usage-table staff-table" },
    h("caption", {}, caption),
    h("thead", {}, h("tr", {}, columns.map(([label]) => h("th", { scope: "col" }, label)))),
    h(
      "tbody",
      {},
      rows.length
        ? rows.map((row) =>
            h(
              "tr",
              {},
              columns.map(([, value], index) => h(index ? "td" : "th", index ? {} : { scope: "row" }, value(row))),
            ),
          )
        : h("tr", {}, h("td", { colspan: columns.length }, t("staff.nothing"))),
    ),
  );
}

const spending = [
  [t("staff.completions"), (row) => formatNumber(row.completions)],
  [t("staff.tokens"), (row) => formatNumber(row.total_tokens)],
  [t("staff.cost"), (row) => money(row.cost)],
];

function budgetLine(name, level) {
  const used = formatNumber(level.used);
  const text =
    level.limit === null
      ? t(`staff.unbounded.${name}`, { used })
      : t(`staff.budget.${name}`, { used, limit: formatNumber(level.limit) });
  const meter = level.limit ? h("progress", { max: level.limit, value: Math.min(level.used, level.limit) }) : null;
  return h(
    "div",
    { class: "budget-level", dataset: { window: name } },
    h("p", {}, text),
    meter,
    h("p", { class: "hint" }, t("staff.resets", { relative: formatRelative(new Date(level.resets_at)) })),
  );
}

function show(report, into) {
  const tokensFigure = h("div", { class: "chart" });
  const items = report.by_day.map((row) => ({
    key: row.day,
    axisLabel: formatDay(dayDate(row.day), "short"),
    title: t("usage.tokenBar", {
      day: formatDay(dayDate(row.day)),
      prompt: formatNumber(row.prompt_tokens),
      completion: formatNumber(row.completion_tokens),
    }),
    values: [row.prompt_tokens, row.completion_tokens],
  }));
  clear(into).append(
    h(
      "section",
      { class: "card", "aria-labelledby": "staff-budget" },
      h("h2", { id: "staff-budget" }, t("staff.budgetTitle")),
      budgetLine("daily", report.budget.daily),
      budgetLine("monthly", report.budget.monthly),
    ),
    h(
      "section",
      { class: "card", "aria-labelledby": "staff-totals" },
      h("h2", { id: "staff-totals" }, t("staff.totalsTitle")),
      h(
        "p",
        { class: "summary staff-summary" },
        t("staff.totals", {
          completions: formatNumber(report.totals.completions),
          tokens: formatNumber(report.totals.total_tokens),
          cost: money(report.totals.cost),
        }),
      ),
      tokensFigure,
    ),
    h(
      "section",
      { class: "card" },
      table({
        caption: t("staff.byUser"),
        columns: [[t("staff.user"), (row) => row.email || `#${row.user_id}`], ...spending],
        rows: report.by_user,
      }),
      table({
        caption: t("staff.byGroup"),
        columns: [[t("staff.group"), (row) => row.group], [t("staff.members"), (row) => formatNumber(row.members)], ...spending],
        rows: report.by_group,
      }),
      table({ caption: t("staff.byModel"), columns: [[t("staff.model"), (row) => row.model], ...spending], rows: report.by_model }),
    ),
  );
  if (items.length) {
    requestAnimationFrame(() =>
      tokensFigure.replaceChildren(
        barChart({
          items,
          series: [{ className: "series-prompt" }, { className: "series-completion" }],
          width: Math.floor(tokensFigure.clientWidth) || 600,
          height: 180,
          name: t("usage.tokensTitle"),
          formatValue: (value) => formatNumber(value, { notation: "compact" }),
          showTotals: false,
        }),
      ),
    );
  }
}

export function staffView() {
  const error = h("p", { class: "form-error", role: "alert" });
  const results = h("div", { class: "staff-results" });
  const since = h("input", { type: "date", id: "staff-since", name: "since" });
  const until = h("input", { type: "date", id: "staff-until", name: "until" });
  const period = () => Object.fromEntries([["since", since.value], ["until", until.value]].filter(([, v]) => v));
  const load = async () => {
    error.textContent = "";
    try {
      const report = await api.staffUsage(period());
      since.value ||= report.since;
      until.value ||= report.until;
      show(report, results);
    } catch (failure) {
      error.textContent = errorText(failure);
    }
  };
  const download = async () => {
    error.textContent = "";
    try {
      downloadFile(await api.staffUsageCsv(period()), `usage-${since.value}-${until.value}.csv`);
    } catch (failure) {
      error.textContent = errorText(failure);
    }
  };
  const form = h(
    "form",
    {
      class: "card staff-period",
      onsubmit: (event) => {
        event.preventDefault();
        load();
      },
    },
    h("div", { class: "field" }, h("label", { for: "staff-since" }, t("staff.since")), since),
    h("div", { class: "field" }, h("label", { for: "staff-until" }, t("staff.until")), until),
    h("button", { type: "submit", class: "primary" }, t("staff.show")),
    h("button", { type: "button", class: "staff-csv", onclick: download }, t("staff.csv")),
  );
  load();
  return h("main", { class: "usage staff" }, h("h1", { tabindex: "-1" }, t("staff.title")), form, error, results);
}
