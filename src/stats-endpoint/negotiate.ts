/**
 * Chooses the representation of the stats endpoint: `?format=` wins, else the `Accept` header.
 */

/** The representations the stats endpoint serves. */
export type StatsFormat = 'json' | 'prometheus' | 'html';

export const STATS_FORMATS: readonly StatsFormat[] = ['json', 'html', 'prometheus'];

/** Media types each format answers to, most specific first. `json` is also the default for `*\/*`. */
const MEDIA_TYPES: Record<StatsFormat, readonly string[]> = {
  json: ['application/json'],
  html: ['text/html', 'application/xhtml+xml'],
  prometheus: ['text/plain', 'application/openmetrics-text'],
};

interface AcceptRange {
  type: string;
  subtype: string;
  q: number;
  /** Position in the header, for ties. */
  index: number;
}

/** Parses an `Accept` header (RFC 9110 section 12.5.1). Malformed ranges are ignored. */
export function parseAccept(header: string | undefined): AcceptRange[] {
  if (!header) return [];
  const ranges: AcceptRange[] = [];
  header.split(',').forEach((part, index) => {
    const [mediaRange = '', ...params] = part.split(';');
    const match = /^\s*([\w!#$%&'*+.^`|~-]+)\/([\w!#$%&'*+.^`|~-]+)\s*$/.exec(mediaRange);
    if (!match) return;
    let q = 1;
    for (const param of params) {
      const [name = '', value = ''] = param.split('=');
      if (name.trim().toLowerCase() !== 'q') continue;
      const parsed = Number(value.trim());
      q = Number.isFinite(parsed) && parsed >= 0 && parsed <= 1 ? parsed : 0;
    }
    ranges.push({ type: match[1]!.toLowerCase(), subtype: match[2]!.toLowerCase(), q, index });
  });
  return ranges;
}

/** Specificity of `range` for `mediaType` (`type/subtype`): 2 exact, 1 `type/*`, 0 `*\/*`, -1 no match. */
function specificity(range: AcceptRange, mediaType: string): number {
  const [type, subtype] = mediaType.split('/');
  if (range.type === '*' && range.subtype === '*') return 0;
  if (range.type !== type) return -1;
  if (range.subtype === '*') return 1;
  return range.subtype === subtype ? 2 : -1;
}

/**
 * The format a request asks for with its `Accept` header. Each format takes the quality of the most
 * specific range matching one of its media types; the highest quality wins, then the most specific
 * match, then the earliest range in the header, then the order json, html, prometheus. Without an
 * `Accept` header, or when nothing acceptable matches, the answer is `json`.
 *
 * Browsers (`text/html,...,*\/*;q=0.8`) get `html`; Prometheus (`application/openmetrics-text;...,
 * text/plain;version=0.0.4;q=0.5,*\/*;q=0.1`) gets `prometheus`; `curl` (`*\/*`) gets `json`.
 */
export function negotiateFormat(accept: string | undefined): StatsFormat {
  const ranges = parseAccept(accept);
  let best: { format: StatsFormat; q: number; specificity: number; index: number } | undefined;
  for (const format of STATS_FORMATS) {
    for (const mediaType of MEDIA_TYPES[format]) {
      let chosen: AcceptRange | undefined;
      let chosenSpecificity = -1;
      for (const range of ranges) {
        const s = specificity(range, mediaType);
        if (s > chosenSpecificity) {
          chosen = range;
          chosenSpecificity = s;
        }
      }
      if (!chosen || chosen.q === 0) continue;
      const candidate = { format, q: chosen.q, specificity: chosenSpecificity, index: chosen.index };
      if (
        !best ||
        candidate.q > best.q ||
        (candidate.q === best.q && candidate.specificity > best.specificity) ||
        (candidate.q === best.q && candidate.specificity === best.specificity && candidate.index < best.index)
      ) {
        best = candidate;
      }
    }
  }
  return best?.format ?? 'json';
}

/** Outcome of reading `?format=`: absent, a known format, or a value to refuse with 400. */
export type FormatParameter =
  | { kind: 'absent' }
  | { kind: 'format'; format: StatsFormat }
  | { kind: 'invalid' };

/** Reads `?format=` from a request URL (path and query, as in `req.url`). Repeating it is invalid. */
export function readFormatParameter(url: string | undefined): FormatParameter {
  const query = url?.includes('?') ? url.slice(url.indexOf('?') + 1) : '';
  const values = new URLSearchParams(query).getAll('format');
  if (values.length === 0) return { kind: 'absent' };
  const value = values.length === 1 ? values[0]!.toLowerCase() : undefined;
  const format = STATS_FORMATS.find((f) => f === value);
  return format ? { kind: 'format', format } : { kind: 'invalid' };
}

/** The format for a request: `?format=` wins, else `Accept`. */
export function chooseFormat(url: string | undefined, accept: string | undefined): FormatParameter {
  const parameter = readFormatParameter(url);
  return parameter.kind === 'absent' ? { kind: 'format', format: negotiateFormat(accept) } : parameter;
}
