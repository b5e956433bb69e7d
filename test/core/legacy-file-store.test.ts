/**
 * session-file-store answers `get` for a destroyed or unknown session with an `ENOENT` error.
 * express-session reads that as "no session" (`err.code === 'ENOENT'`); the bridge must too, with the real store.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import session from 'express-session';
import createFileStore from 'session-file-store';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp, eventRecorder, makeBridge } from '../helpers/apps.js';
import { expressVersions } from '../helpers/express-versions.js';
import { authFrom, expectBridgeError } from '../helpers/fixtures.js';
import { createLegacyLogin, destroySession, getSession } from '../helpers/legacy.js';

const SECRET = 'file-store-secret';
const FileStore = createFileStore(session);

describe.each(expressVersions)('%s: legacy sessions in session-file-store', (_name, express) => {
  let dir: string;
  let store: InstanceType<typeof FileStore>;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'esb-file-store-'));
    // reapInterval -1: no reaper; retries 0: an unknown session answers ENOENT at once, without 5 retries.
    store = new FileStore({ path: dir, reapInterval: -1, retries: 0, logFn: () => {} });
  });

  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  function subject() {
    const recorder = eventRecorder();
    const bridge = makeBridge({ legacy: { store, secret: SECRET }, onEvent: recorder.onEvent });
    return { app: buildApp(express, bridge), recorder };
  }

  it('authenticates a session the express-session login wrote to a file', async () => {
    const { sid, cookie } = await createLegacyLogin({ store, secret: SECRET }).login('file-user-1');
    const auth = authFrom(await request(subject().app).get('/whoami').set('Cookie', cookie).expect(200));
    expect(auth).toMatchObject({ userId: 'file-user-1', kind: 'legacy', sessionId: sid });
  });

  it('treats a destroyed session (the store answers ENOENT) as anonymous, not as a store outage', async () => {
    const { sid, cookie } = await createLegacyLogin({ store, secret: SECRET }).login('file-user-2');
    await destroySession(store, sid);
    // The real store reports the missing file as an error with code ENOENT, the case express-session ignores.
    await expect(getSession(store, sid)).rejects.toMatchObject({ code: 'ENOENT' });

    const { app, recorder } = subject();
    expect(authFrom(await request(app).get('/whoami').set('Cookie', cookie).expect(200))).toBeNull();
    expectBridgeError(await request(app).get('/me').set('Cookie', cookie), 401, 'ERR_BRIDGE_UNAUTHENTICATED');
    const [event] = await recorder.waitFor(2);
    expect(event).toMatchObject({ outcome: 'anonymous', sent: { legacy: false, provider: false } });
  });
});
