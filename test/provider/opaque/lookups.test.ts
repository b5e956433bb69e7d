/** Authgear's resolver and RFC 7662 introspection, each against its local stand-in. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { authgearResolver, introspection, type OpaqueSession } from '../../helpers/internals.js';
import {
  type AuthgearStandin,
  type IntrospectionStandin,
  startAuthgearStandin,
  startIntrospectionStandin,
} from '../../helpers/provider-standins.js';

const signal = () => AbortSignal.timeout(5_000);

describe('Authgear resolver lookup', () => {
  let authgear: AuthgearStandin;
  beforeAll(async () => {
    authgear = await startAuthgearStandin();
  });
  afterAll(async () => {
    await authgear.close();
  });

  it('reads X-Authgear-Session-Valid and X-Authgear-User-Id, forwarding only the session cookie', async () => {
    authgear.sessions.set('sess-1', 'ag-user-1');
    const lookup = authgearResolver(authgear.endpoint);
    const session = (await lookup(
      { via: 'cookie', name: 'session', value: 'sess-1' },
      signal(),
    )) as OpaqueSession | null;
    expect(session?.subject).toBe('ag-user-1');
    expect(session?.answer).toMatchObject({
      'x-authgear-session-valid': 'true',
      'x-authgear-user-verified': 'true',
    });
    const seen = authgear.server.requests.at(-1);
    expect(seen?.path).toBe('/_resolver/resolve');
    expect(seen?.headers.cookie).toBe('session=sess-1');
  });

  it('refuses Session-Valid false and a missing header; a non-200 answer is an outage', async () => {
    const lookup = authgearResolver(authgear.endpoint);
    expect(await lookup({ via: 'cookie', name: 'session', value: 'unknown' }, signal())).toBeNull();
    authgear.server.mode = 'fail';
    await expect(lookup({ via: 'cookie', name: 'session', value: 'sess-1' }, signal())).rejects.toThrow(
      /500/,
    );
    authgear.server.mode = 'ok';
  });
});

describe('RFC 7662 introspection lookup', () => {
  let endpoint: IntrospectionStandin;
  beforeAll(async () => {
    endpoint = await startIntrospectionStandin();
  });
  afterAll(async () => {
    await endpoint.close();
  });

  const lookupFor = (audience?: string[]) =>
    introspection({
      endpoint: endpoint.endpoint,
      clientId: endpoint.clientId,
      clientSecret: endpoint.clientSecret,
      audience,
    });

  it('authenticates with HTTP Basic (form-encoded credentials) and reads sub, exp and scope', async () => {
    const exp = Math.floor(Date.now() / 1000) + 600;
    endpoint.tokens.set('opaque-1', {
      sub: 'svc-user',
      exp,
      scope: 'read:orders write:orders',
      aud: 'https://api',
    });
    const session = await lookupFor(['https://api'])(
      { via: 'bearer', name: 'authorization', value: 'opaque-1' },
      signal(),
    );
    expect(session).toMatchObject({
      subject: 'svc-user',
      expiresAt: exp * 1000,
      scope: 'read:orders write:orders',
    });
    const seen = endpoint.server.requests.at(-1);
    expect(seen?.method).toBe('POST');
    expect(seen?.headers['content-type']).toBe('application/x-www-form-urlencoded');
    expect(new URLSearchParams(seen?.body).get('token')).toBe('opaque-1');
  });

  it('refuses active:false, a wrong audience and an answer without sub', async () => {
    endpoint.tokens.set('no-sub', { scope: 'x' });
    endpoint.tokens.set('other-aud', { sub: 's', aud: ['https://other'] });
    const lookup = lookupFor(['https://api']);
    for (const value of ['unknown', 'no-sub', 'other-aud']) {
      expect(await lookup({ via: 'bearer', name: 'authorization', value }, signal())).toBeNull();
    }
  });

  it('treats rejected client credentials as an outage, not as a refused token', async () => {
    const lookup = introspection({
      endpoint: endpoint.endpoint,
      clientId: 'x',
      clientSecret: 'wrong',
      audience: undefined,
    });
    await expect(
      lookup({ via: 'bearer', name: 'authorization', value: 'opaque-1' }, signal()),
    ).rejects.toThrow(/401/);
  });
});
