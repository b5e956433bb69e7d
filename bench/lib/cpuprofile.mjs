// Reads a V8 .cpuprofile (node --cpu-prof) and sums self time per function and per package.
import { readFileSync } from 'node:fs';

/** Where a function lives, short: `dist/index.js:123`, `express@5 lib/router.js:42`, `node:internal/...`. */
function where(url, line, root) {
  if (!url) return '';
  let path = url.startsWith('file://') ? decodeURIComponent(url.slice(7)) : url;
  const nm = path.lastIndexOf('/node_modules/');
  if (nm >= 0) path = path.slice(nm + '/node_modules/'.length);
  else if (root && path.startsWith(root)) path = path.slice(root.length + 1);
  return `${path}:${line + 1}`;
}

/** The package (or area) a function belongs to, for the per-package totals. */
function areaOf(url, name, root) {
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
  if (root && path.startsWith(`${root}/dist/`)) return 'express-session-bridge (dist)';
  if (root && path.startsWith(`${root}/bench/`)) return 'bench app';
  return path;
}

/**
 * `{ totalMs, idleMs, functions: [{ name, where, area, selfMs, share }], areas: [{ area, selfMs, share }] }`;
 * shares are of the busy (non-idle) time. Self time of sample i is the delta to the next sample.
 */
export function summariseProfile(file, { root, top = 15 } = {}) {
  const profile = JSON.parse(readFileSync(file, 'utf8'));
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const self = new Map();
  const { samples, timeDeltas } = profile;
  for (let i = 0; i < samples.length; i++) {
    const dt = timeDeltas[i + 1] ?? 0;
    self.set(samples[i], (self.get(samples[i]) ?? 0) + dt);
  }
  const functions = new Map();
  const areas = new Map();
  let total = 0;
  let idle = 0;
  for (const [id, us] of self) {
    const { functionName, url, lineNumber } = byId.get(id).callFrame;
    const name = functionName || '(anonymous)';
    total += us;
    if (name === '(idle)') {
      idle += us;
      continue;
    }
    const key = `${name}\u0000${url}\u0000${lineNumber}`;
    const entry = functions.get(key) ?? {
      name,
      where: where(url, lineNumber, root),
      area: areaOf(url, name, root),
      us: 0,
    };
    entry.us += us;
    functions.set(key, entry);
    areas.set(entry.area, (areas.get(entry.area) ?? 0) + us);
  }
  const busy = total - idle;
  return {
    totalMs: total / 1000,
    idleMs: idle / 1000,
    functions: [...functions.values()]
      .sort((a, b) => b.us - a.us)
      .slice(0, top)
      .map((f) => ({ name: f.name, where: f.where, area: f.area, selfMs: f.us / 1000, share: f.us / busy })),
    areas: [...areas.entries()]
      .sort((a, b) => b[1] - a[1])
      .map(([area, us]) => ({ area, selfMs: us / 1000, share: us / busy })),
  };
}

export function markdownProfile(title, summary, { areas = 10 } = {}) {
  const pct = (x) => `${(x * 100).toFixed(1)} %`;
  const lines = [
    `#### ${title}`,
    '',
    `${(summary.totalMs / 1000).toFixed(1)} s profiled, ${pct(summary.idleMs / summary.totalMs)} idle; shares are of the busy time.`,
    '',
    '| Self time | Function | Where |',
    '|---:|---|---|',
    ...summary.functions.map((f) => `| ${pct(f.share)} | \`${f.name}\` | ${f.where || f.area} |`),
    '',
    '| Self time | Package / area |',
    '|---:|---|',
    ...summary.areas.slice(0, areas).map((a) => `| ${pct(a.share)} | ${a.area} |`),
  ];
  return lines.join('\n');
}
