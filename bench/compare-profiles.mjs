// Two `npm run bench:profile -- --json FILE` summaries side by side, as Markdown (for BENCHMARKS.md):
//
//   node bench/compare-profiles.mjs before.json after.json
//
// Per case: this package's CPU per request (self, and total up to the app around it) and its share of the busy
// time, GC pauses per 10,000 requests, and bytes and objects allocated per request (all and this package's).
// Then, per case, this package's functions by total time, before and after. The µs come from profiled servers
// (about 1.6× slower than unprofiled ones): compare them with each other.
import { readFileSync } from 'node:fs';
import { PACKAGE_AREA } from './lib/cpuprofile.mjs';

const [beforeFile, afterFile] = process.argv.slice(2);
if (!beforeFile || !afterFile) {
  console.error('usage: node bench/compare-profiles.mjs before.json after.json');
  process.exit(2);
}
const before = JSON.parse(readFileSync(beforeFile, 'utf8'));
const after = JSON.parse(readFileSync(afterFile, 'utf8'));
const names = Object.keys(after).filter((n) => n in before);

const perRequest = (ms, requests) => (ms * 1000) / requests;
const fmt = (v, digits = 1) =>
  Number.isFinite(v)
    ? v.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits })
    : '–';
const pct = (v) => (Number.isFinite(v) ? `${(v * 100).toFixed(1)} %` : '–');

function figures(s) {
  const { cpu, heap } = s;
  const own = heap.areas.find((a) => a.area === PACKAGE_AREA);
  return {
    self: perRequest(cpu.ownTotal.selfMs, cpu.requests),
    total: perRequest(cpu.ownTotal.totalMs, cpu.requests),
    share: cpu.ownTotal.totalShare,
    gc: s.gcMsPer10k,
    bytes: heap.bytes / heap.requests,
    objects: heap.objects / heap.requests,
    ownBytes: own ? own.bytes / heap.requests : 0,
    ownObjects: own ? own.objects / heap.requests : 0,
  };
}

const lines = [
  '| Case | this package, µs/req self (before → after) | total | share of busy time | GC ms per 10k req | bytes/req, all | bytes/req, this package | objects/req, this package |',
  '|---|---:|---:|---:|---:|---:|---:|---:|',
];
for (const name of names) {
  const b = figures(before[name]);
  const a = figures(after[name]);
  const arrow = (x, y, d = 1) => `${fmt(x, d)} → ${fmt(y, d)}`;
  lines.push(
    `| \`${name}\` | ${arrow(b.self, a.self)} | ${arrow(b.total, a.total)} | ${pct(b.share)} → ${pct(a.share)} | ${arrow(b.gc, a.gc, 0)} | ${arrow(b.bytes, a.bytes, 0)} | ${arrow(b.ownBytes, a.ownBytes, 0)} | ${arrow(b.ownObjects, a.ownObjects)} |`,
  );
}

for (const name of names.filter((n) => before[n].cpu.own.length > 0)) {
  lines.push('', `#### \`${name}\`: this package's functions, µs per request (profiled)`, '');
  lines.push(
    '| Before: function | self | total | After: function | self | total |',
    '|---|---:|---:|---|---:|---:|',
  );
  const rows = Math.max(before[name].cpu.own.length, after[name].cpu.own.length);
  const cell = (s, i) => {
    const f = s.cpu.own[i];
    if (!f) return ' | | ';
    return `\`${f.name}\` ${f.where} | ${fmt(perRequest(f.selfMs, s.cpu.requests), 2)} | ${fmt(perRequest(f.totalMs, s.cpu.requests), 2)}`;
  };
  for (let i = 0; i < Math.min(rows, 10); i++)
    lines.push(`| ${cell(before[name], i)} | ${cell(after[name], i)} |`);
}
console.log(lines.join('\n'));
