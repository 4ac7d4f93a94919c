// Dates, times and numbers in the chosen language's locale (see `locale()` in i18n.js).
import { locale } from "../i18n.js";

export function formatTime(date) {
  return new Intl.DateTimeFormat(locale(), { hour: "2-digit", minute: "2-digit", hourCycle: "h23" }).format(date);
}

export function formatDateTime(date) {
  return new Intl.DateTimeFormat(locale(), { dateStyle: "medium", timeStyle: "short", hourCycle: "h23" }).format(date);
}

const DAY_STYLES = {
  short: { month: "numeric", day: "numeric" }, // an axis: 11/24, 11. 24.
  medium: { month: "long", day: "numeric" }, // a sentence: November 24, 11월 24일
  long: { weekday: "short", month: "short", day: "numeric" }, // a table or tooltip: Tue, Nov 24
};

export function formatDay(date, style = "long") {
  return new Intl.DateTimeFormat(locale(), DAY_STYLES[style]).format(date);
}

export function formatNumber(value, options = {}) {
  return new Intl.NumberFormat(locale(), options).format(value);
}

const RELATIVE_UNITS = [
  ["year", 365 * 24 * 3600],
  ["month", 30 * 24 * 3600],
  ["week", 7 * 24 * 3600],
  ["day", 24 * 3600],
  ["hour", 3600],
  ["minute", 60],
  ["second", 1],
];

/** "in 3 hours" / "3시간 후", "yesterday" / "어제": the largest unit that fits. */
export function formatRelative(date, now = new Date()) {
  const seconds = (date.getTime() - now.getTime()) / 1000;
  const format = new Intl.RelativeTimeFormat(locale(), { numeric: "auto" });
  for (const [unit, size] of RELATIVE_UNITS) {
    if (Math.abs(seconds) >= size || unit === "second") {
      return format.format(Math.round(seconds / size), unit);
    }
  }
  return "";
}
