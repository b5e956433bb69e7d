/** Number and date formatting of the HTML dashboard and its chart (UTC, en-US digit grouping). */
import { DAY, HOUR } from '../stats/time.js';

/** A number with US digit grouping (`1,234`); `NaN` and `∞` as such. */
export function groupDigits(value: number): string {
  return value.toLocaleString('en-US');
}

/** A count with digit grouping; a value that is not finite as `–`. */
export function formatCount(value: number): string {
  return Number.isFinite(value) ? groupDigits(value) : '–';
}

/** A share (0..1) as a percentage: two decimals under 1 %, one above, trailing zeros trimmed. */
export function formatPercent(share: number): string {
  if (!Number.isFinite(share)) return '–';
  const percent = share * 100;
  const text = percent === 0 ? '0' : percent < 1 ? percent.toFixed(2) : percent.toFixed(1);
  return `${text.includes('.') ? text.replace(/\.?0+$/, '') : text}%`;
}

/** Two digits: `09`. */
export function pad(n: number): string {
  return String(n).padStart(2, '0');
}

function formatDate(date: Date): string {
  return `${date.getUTCFullYear()}-${pad(date.getUTCMonth() + 1)}-${pad(date.getUTCDate())}`;
}

/** `2025-03-14 09:30 UTC`; an unparseable value is shown as is. */
export function formatDateTime(iso: string): string {
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return iso;
  return `${formatDate(date)} ${pad(date.getUTCHours())}:${pad(date.getUTCMinutes())} UTC`;
}

/** `2025-03-14`; an unparseable value is shown as is. */
export function formatDay(iso: string): string {
  const date = new Date(iso);
  return Number.isNaN(date.getTime()) ? iso : formatDate(date);
}

/** A series bucket in the table: `2025-03-14 09:00` for hours, `2025-03-14` for days (UTC). */
export function bucketLabel(iso: string, bucket: 'hour' | 'day'): string {
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return iso;
  return bucket === 'hour' ? `${formatDate(date)} ${pad(date.getUTCHours())}:00` : formatDate(date);
}

/** `3 days before this report`, relative to the report's `generatedAt` (never to the clock of the viewer). */
export function relativeTo(iso: string, reference: string): string | undefined {
  const diff = Date.parse(reference) - Date.parse(iso);
  if (!Number.isFinite(diff)) return undefined;
  if (diff < 60_000) return 'at the time of this report';
  const units: Array<[string, number]> = [
    ['day', DAY],
    ['hour', HOUR],
    ['minute', 60_000],
  ];
  for (const [unit, ms] of units) {
    if (diff >= ms) {
      const n = Math.floor(diff / ms);
      return `${n} ${unit}${n === 1 ? '' : 's'} before this report`;
    }
  }
  return undefined;
}
