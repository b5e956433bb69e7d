/**
 * Shared fixtures of the bridge tests: a provider (key + real JWKS server + minter) and response assertions.
 */
import { expect } from 'vitest';
import type { BridgeErrorCode, ProviderOptions } from '../../src/index.js';
import { type JwksServer, type JwksServerOptions, startJwksServer } from './jwks-server.js';
import {
  createSigningKey,
  type SigningKey,
  type TokenAlg,
  type TokenOverrides,
  tokenMinter,
} from './tokens.js';

export const AUDIENCE = 'https://api.example.test';

export interface ProviderFixture {
  key: SigningKey;
  server: JwksServer;
  /** Issuer published by the server and put in minted tokens. */
  issuer: string;
  /** A valid token for this provider (sub `user-1` unless overridden). */
  mint: (overrides?: TokenOverrides) => Promise<string>;
  /** Provider options with an explicit `jwksUri` and a short JWKS timeout. */
  options: (extra?: Partial<ProviderOptions>) => ProviderOptions;
}

export async function startProvider(
  options: { alg?: TokenAlg; server?: JwksServerOptions } = {},
): Promise<ProviderFixture> {
  const key = await createSigningKey({ alg: options.alg ?? 'RS256' });
  const server = await startJwksServer({ keys: [key], ...options.server });
  return {
    key,
    server,
    issuer: server.issuer,
    mint: tokenMinter(key, { iss: server.issuer, aud: AUDIENCE }),
    options: (extra = {}) => ({
      issuer: server.issuer,
      audience: AUDIENCE,
      jwksUri: server.jwksUri,
      jwksTimeoutMs: 1000,
      ...extra,
    }),
  };
}

export interface ResponseLike {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: unknown;
}

export interface ErrorBody {
  error?: string;
  error_description?: string;
  code?: string;
  hint?: string;
  unexpected?: boolean;
}

export function bodyOf(res: ResponseLike): ErrorBody {
  return (res.body ?? {}) as ErrorBody;
}

function header(res: ResponseLike, name: string): string | undefined {
  const value = res.headers[name];
  return Array.isArray(value) ? value.join(', ') : value;
}

/**
 * Asserts an error answer of the bridge: status, JSON `code`, RFC 6750 `error` class in body and
 * `WWW-Authenticate` (400/401), `Retry-After` (503), and no cookie written.
 */
export function expectBridgeError(
  res: ResponseLike,
  status: number,
  code: BridgeErrorCode,
  options: { realm?: string } = {},
): ErrorBody {
  const body = bodyOf(res);
  expect({ status: res.status, code: body.code }, JSON.stringify(body)).toEqual({ status, code });
  expect(body.unexpected).toBeUndefined();
  // Only the documented fields: never a cause, stack or key material.
  for (const key of Object.keys(body)) expect(['error', 'error_description', 'code', 'hint']).toContain(key);
  expect(header(res, 'set-cookie')).toBeUndefined();
  const errorClass =
    status === 503 ? 'temporarily_unavailable' : status === 400 ? 'invalid_request' : 'invalid_token';
  if (code !== 'ERR_BRIDGE_UNAUTHENTICATED') {
    expect(body.error).toBe(errorClass);
    expect(typeof body.error_description).toBe('string');
    expect(body.error_description?.length).toBeGreaterThan(0);
  }
  if (status === 400 || status === 401) {
    const www = parseWwwAuthenticate(header(res, 'www-authenticate'));
    expect(www.scheme).toBe('Bearer');
    expect(www.params.realm).toBe(options.realm ?? 'api');
    if (code === 'ERR_BRIDGE_UNAUTHENTICATED') {
      expect(www.params.error).toBeUndefined();
    } else {
      expect(www.params.error).toBe(errorClass);
      expect(www.params.error_description?.length).toBeGreaterThan(0);
    }
  }
  if (status === 503) {
    expect(header(res, 'retry-after')).toMatch(/^\d+$/);
  }
  return body;
}

/** Asserts a 200 from `/whoami` or `/me` and returns `req.auth` as the route serialised it. */
export function authFrom(res: ResponseLike): Record<string, unknown> | null {
  expect(res.status, JSON.stringify(res.body)).toBe(200);
  expect(header(res, 'set-cookie')).toBeUndefined();
  return res.body as Record<string, unknown> | null;
}

/** Parses `WWW-Authenticate: Bearer realm="api", error="invalid_token", ...` into its scheme and params. */
export function parseWwwAuthenticate(value: string | undefined): {
  scheme: string;
  params: Record<string, string>;
} {
  if (value === undefined) return { scheme: '', params: {} };
  const match = /^(\S+)\s*(.*)$/.exec(value);
  const scheme = match?.[1] ?? '';
  const params: Record<string, string> = {};
  const re = /([a-zA-Z_]+)="((?:[^"\\]|\\.)*)"/g;
  for (const m of (match?.[2] ?? '').matchAll(re)) {
    if (m[1] !== undefined && m[2] !== undefined) params[m[1]] = m[2];
  }
  return { scheme, params };
}
