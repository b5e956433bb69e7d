// Reads a V8 sampling heap profile (HeapProfiler.stopSampling, with the objects the GC collected included): bytes
// allocated per package and per function, and an estimate of the objects allocated.
//
// Each node's `selfSize` is V8's scaled estimate of the bytes allocated there (an allocation of `size` bytes is
// sampled with probability 1 - exp(-size / interval), and counted as size / that probability). The same weighting
// applied to each sample gives an estimate of the number of objects; allocations V8 folds into one (objects
// created together in optimised code) count once, so the object figure is a lower bound.
import { readFileSync } from 'node:fs';
import { areaOf, PACKAGE_AREA, sourceMapper, where } from './cpuprofile.mjs';

/** `{ bytes, objects, areas: [{ area, bytes }], functions: [{ name, where, area, bytes }] }` over the whole profile. */
export function summariseHeapProfile(file, { root, interval, top = 12 } = {}) {
  const { head, samples } = JSON.parse(readFileSync(file, 'utf8'));
  const mapped = sourceMapper(root);
  const nodeArea = new Map();
  const functions = new Map();
  const areas = new Map();
  let bytes = 0;
  const walk = (node) => {
    const { functionName, url, lineNumber, columnNumber } = node.callFrame;
    const name = functionName || '(anonymous)';
    const area = areaOf(url, name, root);
    nodeArea.set(node.id, area);
    if (node.selfSize > 0) {
      bytes += node.selfSize;
      areas.set(area, (areas.get(area) ?? 0) + node.selfSize);
      const key = `${name}\u0000${url}\u0000${lineNumber}\u0000${columnNumber}`;
      const entry = functions.get(key) ?? {
        name,
        where:
          (area === PACKAGE_AREA && mapped(url, lineNumber, columnNumber)) || where(url, lineNumber, root),
        area,
        bytes: 0,
      };
      entry.bytes += node.selfSize;
      functions.set(key, entry);
    }
    for (const child of node.children) walk(child);
  };
  walk(head);
  let objects = 0;
  const objectsByArea = new Map();
  for (const sample of samples) {
    const weight = 1 / (1 - Math.exp(-sample.size / interval));
    objects += weight;
    const area = nodeArea.get(sample.nodeId);
    objectsByArea.set(area, (objectsByArea.get(area) ?? 0) + weight);
  }
  return {
    bytes,
    objects,
    areas: [...areas.entries()]
      .sort((a, b) => b[1] - a[1])
      .map(([area, b]) => ({ area, bytes: b, objects: objectsByArea.get(area) ?? 0 })),
    functions: [...functions.values()].sort((a, b) => b.bytes - a.bytes).slice(0, top),
  };
}

/** Markdown tables of a heap summary, per request. `gcMsPer10k`: the GC pause time measured alongside, if any. */
export function markdownHeapProfile(title, summary, { requests, gcMsPer10k, areas = 8 }) {
  const per = (v) =>
    (v / requests).toLocaleString('en-US', { maximumFractionDigits: v / requests < 10 ? 1 : 0 });
  const own = summary.areas.find((a) => a.area === PACKAGE_AREA);
  const lines = [
    `#### ${title}`,
    '',
    `${requests.toLocaleString('en-US')} requests profiled: **${per(summary.bytes)} bytes and about ${per(summary.objects)} objects allocated per request** in all${own ? `, of which this package ${per(own.bytes)} bytes and about ${per(own.objects)} objects` : ''}${Number.isFinite(gcMsPer10k) ? `; GC pauses ${gcMsPer10k.toFixed(1)} ms per 10,000 requests (measured without the profiler)` : ''}.`,
    '',
    '| Bytes/req | Objects/req | Package / area |',
    '|---:|---:|---|',
    ...summary.areas.slice(0, areas).map((a) => `| ${per(a.bytes)} | ${per(a.objects)} | ${a.area} |`),
    '',
    '| Bytes/req | Function | Where |',
    '|---:|---|---|',
    ...summary.functions.map((f) => `| ${per(f.bytes)} | \`${f.name}\` | ${f.where || f.area} |`),
  ];
  return lines.join('\n');
}
