// Reading valgrind cachegrind output (bench/instructions.mjs): instructions (Ir) per function, and where the
// instructions a case adds per request over its baseline go.
import { readFileSync } from 'node:fs';

/** Instructions per function name in one cachegrind output file. */
export function instructionsByFunction(file) {
  const byFunction = new Map();
  let fn = '???';
  for (const line of readFileSync(file, 'utf8').split('\n')) {
    if (line.startsWith('fn=')) {
      fn = line.slice(3);
      continue;
    }
    // "<line> <count>"; the header ("events:", "summary:", ...) is not counted.
    const match = /^\d+ (\d+)$/.exec(line);
    if (match) byFunction.set(fn, (byFunction.get(fn) ?? 0) + Number(match[1]));
  }
  return byFunction;
}

/** Per-request instructions by function: (run with n2 requests − run with n1) ÷ (n2 − n1). */
export function perRequestByFunction(file1, file2, n1, n2) {
  const a = instructionsByFunction(file1);
  const b = instructionsByFunction(file2);
  const out = new Map();
  for (const fn of new Set([...a.keys(), ...b.keys()]))
    out.set(fn, ((b.get(fn) ?? 0) - (a.get(fn) ?? 0)) / (n2 - n1));
  return out;
}

/** A coarse area for a function name: V8's runtime (property lookups, hidden classes), GC, JIT code, ... */
export function areaOfFunction(name) {
  if (name === '???') return 'JIT-compiled JavaScript (no symbols)';
  if (/Scaveng|Heap::|MarkCompact|Sweeper|Evacuat|Marking|MemoryAllocator|heap::base|cppgc/i.test(name))
    return 'garbage collector';
  if (/String::ComputeAndSetRawHash|StringHasher/.test(name)) return 'string hashing';
  if (/Map::|MapUpdater|DescriptorArray|MigrateToMap|TransitionsAccessor|PropertyArray/.test(name))
    return 'hidden classes (maps, descriptors)';
  if (
    /LookupIterator|LoadIC|StoreIC|KeyedLoadIC|KeyedStoreIC|StubCache|Runtime_.*IC|FieldIndex|IC::/.test(name)
  )
    return 'property access slow paths (IC misses)';
  if (name.startsWith('Builtins_')) return 'V8 builtins';
  if (/llhttp|node::|uv_|libuv/.test(name)) return 'Node and libuv (C++)';
  return 'other native code (libc, V8)';
}

/** Where `kase` adds instructions per request over `base` (both maps from perRequestByFunction). */
export function addedInstructions(base, kase, { top = 8 } = {}) {
  const rows = [];
  const areas = new Map();
  for (const fn of new Set([...base.keys(), ...kase.keys()])) {
    const added = (kase.get(fn) ?? 0) - (base.get(fn) ?? 0);
    const area = areaOfFunction(fn);
    rows.push({ fn, added });
    areas.set(area, (areas.get(area) ?? 0) + added);
  }
  return {
    total: rows.reduce((sum, r) => sum + r.added, 0),
    areas: [...areas].map(([area, added]) => ({ area, added })).sort((x, y) => y.added - x.added),
    functions: rows.sort((x, y) => y.added - x.added).slice(0, top),
  };
}
