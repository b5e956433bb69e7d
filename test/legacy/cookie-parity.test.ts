/**
 * The bridge reads the legacy cookie exactly like express-session: the same random Cookie headers go to the
 * bridge's reader and to express-session's own middleware (whose store records the id it is asked for).
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { sign } from 'cookie-signature';
import session, { Store } from 'express-session';
import fc from 'fast-check';
import request from 'supertest';
import { describe, expect, it } from 'vitest';
import { buildApp, makeBridge } from '../helpers/apps.js';
import { expressVersions } from '../helpers/express-versions.js';
import { readCookies, unsignSessionCookie } from '../helpers/internals.js';
import { createLegacyLogin, memoryStore } from '../helpers/legacy.js';

const SECRETS = ['current-secret', 'old-secret'];
const NAME = 'connect.sid';

/** A store that only remembers which session id express-session asked for. */
class RecordingStore extends Store {
  asked: string | undefined;
  override get(sid: string, callback: (err: unknown, session?: session.SessionData | null) => void): void {
    this.asked = sid;
    callback(null, null);
  }
  override set(_sid: string, _session: session.SessionData, callback?: (err?: unknown) => void): void {
    callback?.();
  }
  override destroy(_sid: string, callback?: (err?: unknown) => void): void {
    callback?.();
  }
}

const store = new RecordingStore();
const expressSession = session({
  store,
  secret: SECRETS,
  name: NAME,
  resave: false,
  saveUninitialized: false,
});

/** The session id express-session's own middleware looks up for this Cookie header, if any. */
function expressSessionSid(header: string): string | undefined {
  store.asked = undefined;
  const req = {
    headers: { cookie: header },
    url: '/',
    originalUrl: '/',
    method: 'GET',
  } as unknown as IncomingMessage;
  const res = { writeHead() {}, end() {}, setHeader() {}, getHeader() {} } as unknown as ServerResponse;
  expressSession(req as never, res as never, () => {});
  return store.asked;
}

function bridgeSid(header: string): string | undefined {
  const req = { headers: { cookie: header } } as unknown as IncomingMessage;
  return unsignSessionCookie(readCookies(req)[NAME], SECRETS);
}

const sid = fc.string({ minLength: 0, maxLength: 24 });
const signedValue = fc
  .tuple(sid, fc.constantFrom(...SECRETS, 'unknown-secret'))
  .map(([id, s]) => `s:${sign(id, s)}`);
/** Ways a value can be written in a Cookie header: as is, quoted, percent-encoded, partly encoded, broken. */
const spelled = fc.tuple(fc.oneof(signedValue, fc.string({ maxLength: 30 })), fc.nat(6)).map(([v, how]) => {
  switch (how) {
    case 0:
      return `"${v}"`;
    case 1:
      return encodeURIComponent(v);
    case 2:
      return `"${encodeURIComponent(v)}"`;
    case 3:
      return `${v}%`;
    case 4:
      return ` ${v} `;
    default:
      return v;
  }
});
const name = fc.constantFrom(NAME, ` ${NAME}`, `${NAME} `, 'connect.SID', 'other', 'connect.sid2', '');
const pair = fc.oneof(
  fc.tuple(name, spelled).map(([n, v]) => `${n}=${v}`),
  fc.string({ maxLength: 20 }),
);
const header = fc
  .tuple(fc.array(pair, { minLength: 1, maxLength: 5 }), fc.constantFrom('; ', ';', ' ; ', ';;'))
  .map(([pairs, separator]) => pairs.join(separator))
  .filter((h) => h.length > 0);

describe('legacy cookie parity with express-session', () => {
  it('finds the same session id as express-session for arbitrary Cookie headers', () => {
    fc.assert(
      fc.property(header, (h) => {
        const expected = expressSessionSid(h);
        // express-session treats an empty id as none, like the bridge.
        expect(bridgeSid(h)).toBe(expected === '' ? undefined : expected);
      }),
      { numRuns: 2000 },
    );
  });

  it('finds a session in a quoted or percent-encoded cookie value, as express-session does', () => {
    const value = `s:${sign('abc', SECRETS[0] as string)}`;
    for (const h of [`${NAME}="${value}"`, `${NAME}=${encodeURIComponent(value)}`]) {
      expect(expressSessionSid(h)).toBe('abc');
      expect(bridgeSid(h)).toBe('abc');
    }
  });
});

describe.each(expressVersions)('%s: quoted legacy cookie', (_name, express) => {
  it('authenticates a legacy session whose cookie value is quoted, like express-session', async () => {
    const legacyStore = memoryStore();
    const login = createLegacyLogin({ store: legacyStore, secret: SECRETS });
    const app = buildApp(express, makeBridge({ legacy: { store: legacyStore, secret: SECRETS } }));
    const { cookie } = await login.login('u-quoted');
    const [cookieName, ...rest] = cookie.split('=');
    const quoted = `${cookieName}="${decodeURIComponent(rest.join('='))}"`;
    expect(expressSessionSid(quoted)).toBe(decodeURIComponent(rest.join('=')).slice(2).split('.')[0]);
    const res = await request(app).get('/me').set('Cookie', quoted);
    expect(res.status).toBe(200);
    expect(res.body.userId).toBe('u-quoted');
  });
});
