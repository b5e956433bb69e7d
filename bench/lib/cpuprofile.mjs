// Reads a V8 .cpuprofile (node --cpu-prof): self time per function and per package, and for this package's own
// functions self and total time (total: the samples with the function anywhere on the stack, each counted once),
// with their place in src/ through dist/'s source map.
import { readFileSync } from 'node:fs';
import { SourceMap } from 'node:module';

/** Where a function lives, short: `dist/index.js:123`, `express@5 lib/router.js:42`, `node:internal/...`. */
export function where(url, line, root) {
  if (!url) return '';
  let path = url.startsWith('file://') ? decodeURIComponent(url.slice(7)) : url;
  const nm = path.lastIndexOf('/node_modules/');
  if (nm >= 0) path = path.slice(nm + '/node_modules/'.length);
  else if (root && path.startsWith(root)) path = path.slice(root.length + 1);
  return `${path}:${line + 1}`;
}

export const PACKAGE_AREA = 'express-session-bridge';
/** The app around the bridge: where its share of a stack ends (see `summariseProfile`). */
const APP_AREAS = new Set(['express', 'router', 'bench app']);

/** The package (or area) a function belongs to, for the per-package totals. */
export function areaOf(url, name, root) {
  if (!url) return name.startsWith('(') ? name : '(native)';
  const path = url.startsWith('file://') ? decodeURIComponent(url.slice(7)) : url;
  const nm = path.lastIndexOf('/node_modules/');
  if (nm >= 0) {
    const rest = path.slice(nm + '/node_modules/'.length).split('/');
    return rest[0].startsWith('@') ? `${rest[0]}/${rest[1]}` : rest[0];
  }
  if (path.startsWith('node:')) {
    // node:_http_server -> node http, node:internal/streams/writable -> node streams, node:events -> node events
    const segment = path
      .slice(5)
      .replace(/^internal\//, '')
      .split('/')[0];
    return `node ${segment.replace(/^_/, '').replace(/_.*/, '')}`;
  }
  if (root && path.startsWith(`${root}/dist/`)) return PACKAGE_AREA;
  if (root && path.startsWith(`${root}/bench/`)) return 'bench app';
  return path;
}

/** Maps `dist/*.js` positions to `src/*.ts` through the source maps tsup writes (one map per bundle, cached). */
export function sourceMapper(root) {
  const maps = new Map();
  return (url, line, column) => {
    if (!url?.startsWith('file://') || !root) return undefined;
    const path = decodeURIComponent(url.slice(7));
    if (!path.startsWith(`${root}/dist/`)) return undefined;
    if (!maps.has(path)) {
      try {
        maps.set(path, new SourceMap(JSON.parse(readFileSync(`${path}.map`, 'utf8'))));
      } catch {
        maps.set(path, null);
      }
    }
    const entry = maps.get(path)?.findEntry(line, column);
    if (!entry?.originalSource) return undefined;
    return `${entry.originalSource.replace(/^(\.\.\/)+/, '')}:${entry.originalLine + 1}`;
  };
}

/**
 * `{ totalMs, idleMs, functions, areas, own }`: `functions` are the top `top` by self time
 * (`{ name, where, area, selfMs, share }`), `areas` the per-package self time; `own` this package's functions
 * (`{ name, where, selfMs, totalMs, selfShare, totalShare }`, the top `ownTop` by total time) and
 * `ownTotal` (`{ selfMs, totalMs }`: total is every sample of the package's work, the libraries it calls included,
 * up to the app around it: what runs inside its `next()` is the app's). Shares are of the
 * busy (non-idle) time. Self time of sample i is the delta to the next sample.
 */
export function summariseProfile(file, { root, top = 15, ownTop = 15 } = {}) {
  const profile = JSON.parse(readFileSync(file, 'utf8'));
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const parent = new Map();
  for (const node of profile.nodes) for (const child of node.children ?? []) parent.set(child, node.id);
  const mapped = sourceMapper(root);
  const keyOf = (node) => {
    const { functionName, url, lineNumber, columnNumber } = node.callFrame;
    return `${functionName || '(anonymous)'}\u0000${url}\u0000${lineNumber}\u0000${columnNumber}`;
  };
  const info = new Map();
  const infoOf = (node) => {
    const key = keyOf(node);
    let entry = info.get(key);
    if (!entry) {
      const { functionName, url, lineNumber, columnNumber } = node.callFrame;
      const name = functionName || '(anonymous)';
      const area = areaOf(url, name, root);
      entry = {
        name,
        where:
          (area === PACKAGE_AREA && mapped(url, lineNumber, columnNumber)) || where(url, lineNumber, root),
        area,
        us: 0,
        totalUs: 0,
      };
      info.set(key, entry);
    }
    return entry;
  };
  const { samples, timeDeltas } = profile;
  const areas = new Map();
  let total = 0;
  let idle = 0;
  let ownTotal = 0;
  let ownSelf = 0;
  for (let i = 0; i < samples.length; i++) {
    const us = timeDeltas[i + 1] ?? 0;
    const node = byId.get(samples[i]);
    const entry = infoOf(node);
    total += us;
    if (entry.name === '(idle)') {
      idle += us;
      continue;
    }
    entry.us += us;
    areas.set(entry.area, (areas.get(entry.area) ?? 0) + us);
    if (entry.area === PACKAGE_AREA) ownSelf += us;
    // Total time of this package's work: from the sample up to the first frame of the app around it (Express,
    // its router, the route handler). So the route that runs inside the bridge's next() is not the bridge's,
    // while jose, lru-cache, cookie parsing and the store the bridge calls are. Each function once per sample.
    const seen = new Set();
    let ours = false;
    for (let id = samples[i]; id !== undefined; id = parent.get(id)) {
      const frame = infoOf(byId.get(id));
      if (APP_AREAS.has(frame.area)) break;
      if (frame.area === PACKAGE_AREA) ours = true;
      if (seen.has(frame)) continue;
      seen.add(frame);
      frame.totalUs += us;
    }
    if (ours) ownTotal += us;
  }
  const busy = total - idle;
  const all = [...info.values()];
  return {
    totalMs: total / 1000,
    idleMs: idle / 1000,
    functions: all
      .filter((f) => f.us > 0)
      .sort((a, b) => b.us - a.us)
      .slice(0, top)
      .map((f) => ({ name: f.name, where: f.where, area: f.area, selfMs: f.us / 1000, share: f.us / busy })),
    areas: [...areas.entries()]
      .sort((a, b) => b[1] - a[1])
      .map(([area, us]) => ({ area, selfMs: us / 1000, share: us / busy })),
    own: all
      .filter((f) => f.area === PACKAGE_AREA && f.totalUs > 0)
      .sort((a, b) => b.totalUs - a.totalUs)
      .slice(0, ownTop)
      .map((f) => ({
        name: f.name,
        where: f.where,
        selfMs: f.us / 1000,
        totalMs: f.totalUs / 1000,
        selfShare: f.us / busy,
        totalShare: f.totalUs / busy,
      })),
    ownTotal: {
      selfMs: ownSelf / 1000,
      totalMs: ownTotal / 1000,
      selfShare: ownSelf / busy,
      totalShare: ownTotal / busy,
    },
  };
}

const pct = (x) => `${(x * 100).toFixed(1)} %`;

/**
 * Markdown tables of a summary. `requests` (served while profiled, optional) adds µs per request: busy time of
 * the main thread divided by requests (start-up and seeding included, so slightly high).
 */
export function markdownProfile(title, summary, { areas = 10, requests } = {}) {
  const perRequest = (ms) => (requests ? ` | ${((ms * 1000) / requests).toFixed(2)}` : '');
  const perHead = requests ? ' | µs/req' : '';
  const perAlign = requests ? '|---:' : '';
  const lines = [
    `#### ${title}`,
    '',
    `${(summary.totalMs / 1000).toFixed(1)} s profiled, ${pct(summary.idleMs / summary.totalMs)} idle; shares are of the busy time${requests ? `; µs/req: busy main-thread time ÷ ${requests.toLocaleString('en-US')} requests served` : ''}.`,
    '',
    `| Self time${perHead} | Function | Where |`,
    `|---:${perAlign}|---|---|`,
    ...summary.functions.map(
      (f) => `| ${pct(f.share)}${perRequest(f.selfMs)} | \`${f.name}\` | ${f.where || f.area} |`,
    ),
    '',
    `| Self time${perHead} | Package / area |`,
    `|---:${perAlign}|---|`,
    ...summary.areas.slice(0, areas).map((a) => `| ${pct(a.share)}${perRequest(a.selfMs)} | ${a.area} |`),
  ];
  if (summary.own?.length) {
    lines.push(
      '',
      `This package: ${pct(summary.ownTotal.selfShare)} self, ${pct(summary.ownTotal.totalShare)} total (its own code and what it calls: jose, lru-cache, cookie, the session store; not the app that runs inside its \`next()\`)${requests ? `: ${((summary.ownTotal.selfMs * 1000) / requests).toFixed(2)} µs self and ${((summary.ownTotal.totalMs * 1000) / requests).toFixed(2)} µs total per request` : ''}.`,
      '',
      `| Self | Total${requests ? ' | self µs/req | total µs/req' : ''} | Function | Source |`,
      `|---:|---:${requests ? '|---:|---:' : ''}|---|---|`,
      ...summary.own.map(
        (f) =>
          `| ${pct(f.selfShare)} | ${pct(f.totalShare)}${requests ? ` | ${((f.selfMs * 1000) / requests).toFixed(2)} | ${((f.totalMs * 1000) / requests).toFixed(2)}` : ''} | \`${f.name}\` | ${f.where} |`,
      ),
    );
  }
  return lines.join('\n');
}
