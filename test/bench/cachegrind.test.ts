/**
 * The reading of valgrind cachegrind output behind `npm run bench:instructions`: instructions per function, the
 * per-request difference of two runs, and where a case's added instructions go. The files follow the format
 * cachegrind 3.19 writes (`--cache-sim=no`: one event, Ir).
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { addedInstructions, instructionsByFunction, perRequestByFunction } from '../../bench/lib/harness.mjs';

const dir = mkdtempSync(join(tmpdir(), 'cachegrind-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** A cachegrind output file: `functions` maps a name to its per-line counts, split over two source files. */
function cachegrindFile(name: string, functions: Record<string, number[]>, summary: number): string {
  const lines = [
    'desc: I1 cache:         32768 B, 64 B, 8-way associative',
    'cmd: /usr/bin/node --predictable /work/main/bench/lib/case-server.mjs',
    'events: Ir',
  ];
  for (const [fn, counts] of Object.entries(functions)) {
    // The same function may appear under more than one file (inlined code): its counts add up.
    const half = Math.ceil(counts.length / 2);
    lines.push('fl=./a.c', `fn=${fn}`, ...counts.slice(0, half).map((c, i) => `${10 + i} ${c}`));
    if (counts.length > half)
      lines.push('fl=./b.h', `fn=${fn}`, ...counts.slice(half).map((c, i) => `${40 + i} ${c}`));
  }
  lines.push(`summary: ${summary}`, '');
  const file = join(dir, name);
  writeFileSync(file, lines.join('\n'));
  return file;
}

describe('cachegrind output', () => {
  it('sums each function over its lines and files, and does not count the header or the summary line', () => {
    const file = cachegrindFile(
      'one.out',
      { main: [5, 7], Builtins_LoadIC: [100, 1, 2], '???': [40] },
      99_999,
    );
    const byFunction = instructionsByFunction(file);
    expect(Object.fromEntries(byFunction)).toEqual({ main: 12, Builtins_LoadIC: 103, '???': 40 });
  });

  it('gives instructions per request as the difference of two runs over the difference of their requests', () => {
    const short = cachegrindFile('n1.out', { start: [1000], handler: [300], onlyInShort: [10] }, 0);
    const long = cachegrindFile('n2.out', { start: [1000], handler: [900], onlyInLong: [60] }, 0);
    const perRequest = perRequestByFunction(short, long, 100, 400);
    expect(Object.fromEntries(perRequest)).toEqual({
      start: 0,
      handler: 2,
      onlyInShort: -10 / 300,
      onlyInLong: 0.2,
    });
  });

  it('says where a case adds instructions over its baseline, by area and by function, largest first', () => {
    const base = new Map([
      ['v8::internal::Scavenger::Process(v8::JobDelegate*)', 100],
      ['???', 500],
      ['llhttp__internal_execute', 50],
    ]);
    const kase = new Map([
      ['v8::internal::Scavenger::Process(v8::JobDelegate*)', 130],
      ['???', 520],
      ['llhttp__internal_execute', 50],
      [
        'v8::internal::String::ComputeAndSetRawHash(v8::internal::SharedStringAccessGuardIfNeeded const&)',
        65,
      ],
      ['v8::internal::JSObject::MigrateToMap(v8::internal::Isolate*)', 40],
    ]);
    const added = addedInstructions(base, kase, { top: 3 });
    expect(added.total).toBe(30 + 20 + 65 + 40);
    expect(added.functions.map((f) => [f.fn.replace(/\(.*$/, ''), f.added])).toEqual([
      ['v8::internal::String::ComputeAndSetRawHash', 65],
      ['v8::internal::JSObject::MigrateToMap', 40],
      ['v8::internal::Scavenger::Process', 30],
    ]);
    expect(added.areas.filter((a) => a.added !== 0)).toEqual([
      { area: 'string hashing', added: 65 },
      { area: 'hidden classes (maps, descriptors)', added: 40 },
      { area: 'garbage collector', added: 30 },
      { area: 'JIT-compiled JavaScript (no symbols)', added: 20 },
    ]);
  });
});
