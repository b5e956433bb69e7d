/**
 * The whole middleware against arbitrary requests (fast-check, real HTTP through supertest, Express 4 and 5):
 * the answer is never a 500, and `req.auth` is set only when the request carried a genuine credential.
 */
import fc from 'fast-check';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp, makeBridge } from '../helpers/apps.js';
import { expressVersions } from '../helpers/express-versions.js';
import { type ProviderFixture, startProvider } from '../helpers/fixtures.js';
import { createLegacyLogin, memoryStore } from '../helpers/legacy.js';

const SECRET = 'legacy-secret';
const PROVIDER_COOKIE = 'idp_jwt';
/** Header values Node's HTTP client can send: visible ASCII, space and tab. */
const headerText = fc.string({
  unit: fc.constantFrom(...' \t!"#$%&\'()*+,-./0123456789:;<=>?@ABCXYZabcxyz[\\]^_`{|}~='),
});

describe.each(expressVersions)('%s: arbitrary requests', (_name, express) => {
  let provider: ProviderFixture;
  let validToken: string;
  let validCookie: string;
  let app: ReturnType<typeof buildApp>;

  beforeAll(async () => {
    provider = await startProvider();
    const store = memoryStore();
    const login = createLegacyLogin({ store, secret: SECRET });
    validCookie = (await login.login('u-legacy')).cookie;
    validToken = await provider.mint({ sub: 'u-provider' });
    app = buildApp(
      express,
      makeBridge({
        legacy: { store, secret: SECRET },
        provider: provider.options({ cookieName: PROVIDER_COOKIE }),
        stats: false,
      }),
    );
  });
  afterAll(async () => {
    await provider.server.close();
  });

  /** Pieces an attacker might mix: the genuine credentials mangled, JWT-looking junk, and noise. */
  function pieces() {
    const [name, value] = validCookie.split('=') as [string, string];
    const [h, p, s] = validToken.split('.') as [string, string, string];
    return fc.oneof(
      headerText,
      fc.constantFrom(
        validToken,
        `${h}.${p}.`,
        `${h}.${p}.${s.slice(1)}`,
        `${h}..${s}`,
        `${h}.${p}.${s}=`,
        `${p}.${h}.${s}`,
        'eyJhbGciOiJub25lIn0.eyJzdWIiOiJ4In0.',
        `${value}x`,
        value.replace('s%3A', ''),
        `"${value}"`,
        name,
        '__proto__',
        'constructor',
      ),
    );
  }

  it('never answers 500 and sets req.auth only for a genuine credential', async () => {
    const authorization = fc.option(
      fc.oneof(
        fc
          .tuple(fc.constantFrom('Bearer ', 'bearer ', 'Bearer,', 'Bearer', 'Basic ', 'Bearer  '), pieces())
          .map(([scheme, rest]) => `${scheme}${rest}`),
        headerText,
      ),
      { nil: undefined },
    );
    const cookieHeader = fc.option(
      fc
        .array(
          fc
            .tuple(fc.constantFrom('connect.sid', PROVIDER_COOKIE, 'other', '__proto__'), pieces())
            .map(([n, v]) => `${n}=${v}`),
          { maxLength: 3 },
        )
        .map((pairs) => pairs.join('; ')),
      { nil: undefined },
    );
    await fc.assert(
      fc.asyncProperty(authorization, cookieHeader, async (auth, cookie) => {
        // The unguarded route always goes on (200); the guarded one answers what the bridge decided.
        for (const path of ['/whoami', '/me']) {
          let req = request(app).get(path);
          if (auth !== undefined) req = req.set('Authorization', auth);
          if (cookie !== undefined && cookie.length > 0) req = req.set('Cookie', cookie);
          const res = await req;
          expect(res.status, JSON.stringify(res.body)).not.toBe(500);
          expect(path === '/whoami' ? [200] : [200, 400, 401, 503]).toContain(res.status);
          if (res.status === 200 && res.body !== null) {
            // Genuine: the valid token after the Bearer scheme, or a valid cookie (quoted is fine, as in express-session).
            const bearerOk = new RegExp(`^bearer[ \\t]+${validToken}$`, 'i').test(auth?.trim() ?? '');
            const [name, value] = validCookie.split('=') as [string, string];
            const sent = cookie?.split('; ') ?? [];
            const cookieOk = [validCookie, `${name}="${value}"`, `${PROVIDER_COOKIE}=${validToken}`].some(
              (c) => sent.includes(c),
            );
            expect(bearerOk || cookieOk, `auth ${JSON.stringify(res.body)} for ${auth} / ${cookie}`).toBe(
              true,
            );
            expect(['u-legacy', 'u-provider']).toContain(res.body.userId);
          }
        }
      }),
      { numRuns: 300 },
    );
  });
});
