/**
 * Number, share, duration and date formatting of the HTML dashboard, its chart and the report's sentences (UTC,
 * en-US digit grouping): one function per kind of value, so a value reads the same wherever it is printed.
 */
import { DAY, HOUR } from '../stats/time.js';

/** A number with US digit grouping (`1,234`); `NaN` and `∞` as such. */
export function groupDigits(value: number): string {
  return value.toLocaleString('en-US');
}

/** A count with digit grouping; a value that is not finite as `–`. */
export function formatCount(value: number): string {
  return Number.isFinite(value) ? groupDigits(value) : '–';
}

/**
 * A share (0..1) as a percentage: up to two decimals under 10 %, one from 10 %, trailing zeros trimmed, no space
 * (`0.42%`, `1.04%`, `11.4%`, `25%`); a share above 0 that would round to 0 is `<0.01%`. Two decimals reach up to
 * 10 % so a share just above a 1 % threshold never prints as the threshold itself.
 */
export function formatPercent(share: number): string {
  if (!Number.isFinite(share)) return '–';
  const percent = share * 100;
  if (percent > 0 && percent < 0.005) return '<0.01%';
  const text = percent === 0 ? '0' : percent < 10 ? percent.toFixed(2) : percent.toFixed(1);
  return `${text.includes('.') ? text.replace(/\.?0+$/, '') : text}%`;
}

const DURATION_UNITS: ReadonlyArray<[unit: string, ms: number]> = [
  ['day', DAY],
  ['hour', HOUR],
  ['minute', 60_000],
  ['second', 1_000],
];

/**
 * A duration in the largest unit it fills, truncated (never rounded up) to one decimal: `4.7 hours`, `6.9 days`
 * (not `7 days` while 7 quiet days are not over), `1 second`; under a second, `less than a second`. Negative or
 * not finite: `–`.
 */
export function formatDuration(ms: number): string {
  if (!Number.isFinite(ms) || ms < 0) return '–';
  if (ms < 1_000) return 'less than a second';
  for (const [unit, size] of DURATION_UNITS) {
    if (ms >= size) {
      // The epsilon keeps 4.7 (16,920,000 ms) from truncating to 4.6 through floating point.
      const value = Math.floor((ms / size) * 10 + 1e-9) / 10;
      return `${groupDigits(value)} ${unit}${value === 1 ? '' : 's'}`;
    }
  }
  return '–';
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

/**
 * `4.7 hours before this report` (`formatDuration`, so it reads like every other duration of the page), relative
 * to the report's `generatedAt` (never to the clock of the viewer); a time after it, `at the time of this report`.
 */
export function relativeTo(iso: string, reference: string): string | undefined {
  const diff = Date.parse(reference) - Date.parse(iso);
  if (!Number.isFinite(diff)) return undefined;
  if (diff < 0) return 'at the time of this report';
  return `${formatDuration(diff)} before this report`;
}
