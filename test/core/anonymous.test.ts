import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp, eventRecorder, makeBridge } from '../helpers/apps.js';
import { expressVersions } from '../helpers/express-versions.js';
import { authFrom, expectBridgeError, type ProviderFixture, startProvider } from '../helpers/fixtures.js';
import { memoryStore } from '../helpers/legacy.js';

describe.each(expressVersions)('%s: a request without credentials', (_name, express) => {
  let provider: ProviderFixture;

  beforeAll(async () => {
    provider = await startProvider();
  });
  afterAll(async () => {
    await provider.server.close();
  });

  function app(extra: { realm?: string } = {}) {
    const recorder = eventRecorder();
    const bridge = makeBridge({
      legacy: { store: memoryStore(), secret: 'legacy-secret' },
      provider: provider.options(),
      onEvent: recorder.onEvent,
      ...extra,
    });
    return { app: buildApp(express, bridge), recorder };
  }

  it('calls next() and leaves req.auth undefined', async () => {
    const { app: subject, recorder } = app();
    expect(authFrom(await request(subject).get('/whoami'))).toBeNull();
    expect(authFrom(await request(subject).get('/auth-is-undefined'))).toBe(true);
    const events = await recorder.waitFor(2);
    expect(events).toHaveLength(2);
    expect(events[0]).toMatchObject({ outcome: 'anonymous', sent: { legacy: false, provider: false } });
  });

  it('answers 401 from requireUser() with a Bearer realm challenge and no error code', async () => {
    const { app: subject } = app();
    const res = await request(subject).get('/me');
    expectBridgeError(res, 401, 'ERR_BRIDGE_UNAUTHENTICATED');
    expect(res.headers['www-authenticate']).not.toMatch(/error=/);
  });

  it('names the configured realm in the challenge', async () => {
    const { app: subject } = app({ realm: 'billing' });
    const res = await request(subject).get('/me');
    expectBridgeError(res, 401, 'ERR_BRIDGE_UNAUTHENTICATED', { realm: 'billing' });
  });

  it('ignores unrelated cookies and non-Bearer Authorization schemes', async () => {
    const { app: subject } = app();
    const res = await request(subject)
      .get('/whoami')
      .set('Cookie', 'theme=dark; _ga=GA1.2.3')
      .set('Authorization', 'Basic dXNlcjpwYXNz');
    expect(authFrom(res)).toBeNull();
    expectBridgeError(
      await request(subject).get('/me').set('Authorization', 'Basic dXNlcjpwYXNz'),
      401,
      'ERR_BRIDGE_UNAUTHENTICATED',
    );
  });

  it.each([
    ['malformed percent-encoding', 'connect.sid=%E0%A4%A; other=%'],
    ['empty names and values', '=; ;=;connect.sid=;'],
    ['a signed-looking value with no signature', 'connect.sid=s%3A'],
    ['a huge cookie', `connect.sid=s%3A${'a'.repeat(6000)}.${'b'.repeat(40)}`],
  ])('treats a Cookie header with %s as anonymous, never 500', async (_label, cookie) => {
    const { app: subject } = app();
    expect(authFrom(await request(subject).get('/whoami').set('Cookie', cookie))).toBeNull();
  });

  it.each(['Bearer', 'Bearer ', 'bearer    '])(
    'answers 400 invalid_request for an Authorization header %j without a token',
    async (value) => {
      const { app: subject } = app();
      expectBridgeError(
        await request(subject).get('/me').set('Authorization', value),
        400,
        'ERR_BRIDGE_INVALID_REQUEST',
      );
    },
  );
});
