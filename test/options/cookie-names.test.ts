import { describe, expect, it } from 'vitest';
import { authgear, ory, sessionBridge } from '../../src/index.js';
import type { BridgeOptions } from '../../src/types.js';
import { memoryStore } from '../helpers/legacy.js';

function build(options: BridgeOptions): unknown {
  return sessionBridge({ stats: false, ...options });
}

const legacy = (cookieName: string) => ({ store: memoryStore(), secret: 'legacy-secret', cookieName });

describe('a legacy cookie name that a provider also reads is refused at construction', () => {
  it("refuses legacy.cookieName 'session' with authgear(), whose session cookie is 'session', naming both", () => {
    const options = {
      legacy: legacy('session'),
      provider: authgear({ endpoint: 'https://myapp.authgear.test' }),
    };
    expect(() => build(options)).toThrow(TypeError);
    expect(() => build(options)).toThrow(/legacy\.cookieName.*"session".*authgear session cookie/);
  });

  it('refuses a legacy name starting with ory_session_ or equal to ory_kratos_session with ory()', () => {
    const provider = ory({ url: 'https://demo.projects.oryapis.test' });
    expect(() => build({ legacy: legacy('ory_session_demo'), provider })).toThrow(/"ory_session_"/);
    expect(() => build({ legacy: legacy('ory_kratos_session'), provider })).toThrow(
      /"ory_kratos_session".*ory session cookie/,
    );
  });

  it("refuses a legacy name equal to a provider's JWT cookieName", () => {
    const provider = {
      issuer: 'https://tenant.example.test/',
      audience: 'https://api.example.test',
      cookieName: 'sid',
    };
    expect(() => build({ legacy: legacy('sid'), provider })).toThrow(/provider\.cookieName/);
  });

  it('accepts distinct names, including an Authgear cookie renamed away from the legacy one', () => {
    const provider = authgear({ endpoint: 'https://myapp.authgear.test', sessionCookie: 'ag_session' });
    expect(() => build({ legacy: legacy('session'), provider })).not.toThrow();
    const oryProvider = ory({ url: 'https://demo.projects.oryapis.test' });
    expect(() => build({ legacy: legacy('connect.sid'), provider: oryProvider })).not.toThrow();
  });
});
