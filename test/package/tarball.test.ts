import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const root = resolve(import.meta.dirname, '../..');
const run = (cmd: string, args: string[], cwd: string) =>
  execFileSync(cmd, args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });

// The smallest consumer: build a bridge, read its public shape, touch every entry point.
const esm = `
import { sessionBridge, memoryStats, redisStats, BridgeError } from 'express-session-bridge';
import 'express-session-bridge/augment';
const bridge = sessionBridge({ provider: { issuer: 'https://tenant.example.com/', audience: 'api', jwksUri: 'https://tenant.example.com/jwks' }, stats: memoryStats() });
if (typeof bridge !== 'function' || typeof bridge.requireUser !== 'function') throw new Error('bad bridge');
if (typeof redisStats !== 'function' || new BridgeError('ERR_BRIDGE_CONFLICT', 'x').status !== 400) throw new Error('bad exports');
// The stats-store contract is types only: the subpath resolves to a module without values.
const storeContract = await import('express-session-bridge/stats-store');
if (Object.keys(storeContract).some((k) => k !== 'default')) throw new Error('values in express-session-bridge/stats-store');
await bridge.close();
console.log('esm ok', bridge.mode);
`;
const cjs = `
const { sessionBridge, BridgeError } = require('express-session-bridge');
require('express-session-bridge/augment');
if (typeof require('express-session-bridge/stats-store') !== 'object') throw new Error('no stats-store entry');
const bridge = sessionBridge({ provider: { issuer: 'https://tenant.example.com/', audience: 'api', jwksUri: 'https://tenant.example.com/jwks' }, stats: false });
if (new BridgeError('ERR_BRIDGE_TOKEN_INVALID', 'x').status !== 401) throw new Error('bad error');
console.log('cjs ok', bridge.mode);
`;
// An app whose code requires the CommonJS build while a dependency imports the ES module build.
const dual = `
import { createRequire } from 'node:module';
import { BridgeError as EsmError, isBridgeError as isEsmError } from 'express-session-bridge';
const { BridgeError: CjsError, isBridgeError: isCjsError } = createRequire(import.meta.url)('express-session-bridge');
const fromCjs = new CjsError('ERR_BRIDGE_CONFLICT', 'x');
if (fromCjs instanceof EsmError) throw new Error('expected two copies of the class');
if (!isEsmError(fromCjs) || !isCjsError(new EsmError('ERR_BRIDGE_CONFLICT', 'x'))) throw new Error('not recognised');
console.log('dual ok');
`;
const ts = `
import express from 'express';
import session from 'express-session';
import 'express-session-bridge/augment';
import { sessionBridge, type BridgeAuth, type BridgeOptions, type MigrationReport } from 'express-session-bridge';
const options: BridgeOptions = {
  legacy: { store: new session.MemoryStore(), secret: ['new', 'old'] },
  provider: { issuer: 'https://tenant.example.com/', audience: 'api' },
  mode: 'bridge',
};
const bridge = sessionBridge(options);
const app = express();
app.use(bridge);
app.get('/me', bridge.requireUser(), (req, res) => {
  const auth: BridgeAuth | undefined = req.auth;
  res.json({ id: auth?.userId, kind: auth?.kind });
});
app.get('/admin', bridge.statsHandler({ authorize: (req) => req.headers['x-admin'] === '1' }));
export const report: Promise<MigrationReport> = bridge.report();

// A stats store written against the subpath's contract, passed to the bridge from the main entry.
import type { AnyStatsEvent, StatsQuery, StatsSnapshot, StatsStore } from 'express-session-bridge/stats-store';
class ArrayStore implements StatsStore {
  readonly events: AnyStatsEvent[] = [];
  record(events: readonly AnyStatsEvent[]): void {
    this.events.push(...events);
  }
  query(query: StatsQuery): StatsSnapshot {
    const zero = { requests: { legacy: 0, provider: 0, anonymous: 0, rejected: 0, conflicts: 0, unavailable: 0 }, users: { legacy: 0, provider: 0, active: 0, migrated: 0, legacyOnly: 0 } };
    const windows = Object.fromEntries(Object.keys(query.windows).map((name) => [name, { ...zero, approximate: false }]));
    return { approximate: false, totals: zero, windows, lastLegacyAt: null, series: [], requestsByLabel: [] };
  }
}
export const custom = sessionBridge({ ...options, stats: new ArrayStore() });
`;

describe('the packed tarball', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'esb-pack-'));
    const out = run('npm', ['pack', '--silent', '--ignore-scripts', '--pack-destination', dir], root)
      .trim()
      .split('\n')
      .pop() as string;
    const pkg = join(dir, 'node_modules', 'express-session-bridge');
    mkdirSync(pkg, { recursive: true });
    run('tar', ['-xzf', join(dir, out), '-C', pkg, '--strip-components=1'], dir);
    // Dependencies come from the repo's node_modules: the tarball itself is what is under test.
    for (const dep of [
      'jose',
      'lru-cache',
      'cookie',
      'cookie-signature',
      'express',
      '@types',
      'typescript',
    ]) {
      symlinkSync(join(root, 'node_modules', dep), join(dir, 'node_modules', dep));
    }
    writeFileSync(join(dir, 'package.json'), JSON.stringify({ name: 'consumer', private: true }));
  }, 120_000);
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('ships only dist and the package metadata', () => {
    const files = readdirSync(join(dir, 'node_modules', 'express-session-bridge')).sort();
    expect(files).toEqual(expect.arrayContaining(['dist', 'package.json', 'README.md']));
    expect(
      files.filter((f) => !['dist', 'package.json', 'README.md', 'CHANGELOG.md', 'LICENSE'].includes(f)),
    ).toEqual([]);
  });

  it('loads from an ES module', () => {
    writeFileSync(join(dir, 'esm.mjs'), esm);
    expect(run('node', ['esm.mjs'], dir)).toContain('esm ok bridge');
  });

  it('loads from CommonJS', () => {
    writeFileSync(join(dir, 'cjs.cjs'), cjs);
    expect(run('node', ['cjs.cjs'], dir)).toContain('cjs ok bridge');
  });

  it('recognises a BridgeError of the CommonJS build from the ES module build, and the other way round', () => {
    writeFileSync(join(dir, 'dual.mjs'), dual);
    expect(run('node', ['dual.mjs'], dir)).toContain('dual ok');
  });

  it('type-checks from TypeScript with module nodenext', () => {
    writeFileSync(join(dir, 'consumer.ts'), ts);
    writeFileSync(
      join(dir, 'tsconfig.json'),
      JSON.stringify({
        compilerOptions: {
          module: 'nodenext',
          moduleResolution: 'nodenext',
          strict: true,
          noEmit: true,
          skipLibCheck: false,
          types: ['node'],
        },
        files: ['consumer.ts'],
      }),
    );
    expect(() => run(join(root, 'node_modules', '.bin', 'tsc'), ['-p', '.'], dir)).not.toThrow();
    // A full type-check of the package and its dependencies' types takes seconds, more on a loaded machine.
  }, 90_000);
});
