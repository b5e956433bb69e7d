import { decodeJwt } from 'jose';
import type { UpgradeGrant } from '../types.js';
import {
  adapterChecks,
  basicAuth,
  pick,
  postToProvider,
  requiredOption,
  requiredString,
} from './provider-call.js';

/** How the client authenticates at the token endpoint (RFC 6749 section 2.3.1). */
export type ClientAuth = 'basic' | 'post';

/** The token fields of an OAuth answer (RFC 6749, RFC 8693), passed on as the provider gave them. */
const TOKEN_FIELDS = [
  'access_token',
  'token_type',
  'expires_in',
  'refresh_token',
  'id_token',
  'scope',
  'issued_token_type',
] as const;

/** A confidential client at a token endpoint. */
export interface OAuthClient {
  tokenEndpoint: string;
  clientId: string;
  clientSecret: string;
  clientAuth: ClientAuth;
}

export function parseClient(
  factory: string,
  given: Record<string, unknown>,
  tokenEndpoint: string,
  fallbackAuth: ClientAuth,
): OAuthClient {
  const clientAuth = adapterChecks(factory).oneOf(
    'clientAuth',
    given.clientAuth,
    ['basic', 'post'] as const,
    fallbackAuth,
  );
  return {
    tokenEndpoint,
    clientId: requiredOption(factory, 'clientId', given.clientId, 'the client id registered at the provider'),
    clientSecret: requiredOption(factory, 'clientSecret', given.clientSecret, "the client's secret"),
    clientAuth,
  };
}

/** The `sub` of a JWT answered directly by the token endpoint (no signature check: the bridge verifies it later). */
function subjectOf(token: unknown): string | undefined {
  if (typeof token !== 'string') return undefined;
  try {
    const { sub } = decodeJwt(token);
    return typeof sub === 'string' && sub.length > 0 ? sub : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Posts a token request (form-encoded) with client authentication and reads the answer: `access_token` and
 * `token_type` are required (RFC 6749 section 5.1); the token fields are passed on as given.
 */
export async function requestToken(
  what: string,
  client: OAuthClient,
  params: Record<string, string | undefined>,
  signal: AbortSignal,
): Promise<UpgradeGrant> {
  const form = new URLSearchParams();
  for (const [name, value] of Object.entries(params)) if (value !== undefined) form.set(name, value);
  const headers: Record<string, string> = {
    'content-type': 'application/x-www-form-urlencoded',
    accept: 'application/json',
  };
  if (client.clientAuth === 'basic') {
    // RFC 6749 section 2.3.1: both are form-urlencoded before the Basic encoding.
    headers.authorization = basicAuth(
      encodeURIComponent(client.clientId),
      encodeURIComponent(client.clientSecret),
    );
  } else {
    form.set('client_id', client.clientId);
    form.set('client_secret', client.clientSecret);
  }
  const { body } = await postToProvider(what, client.tokenEndpoint, {
    headers,
    body: form.toString(),
    signal,
  });
  const record = body as Record<string, unknown>;
  const accessToken = requiredString(what, record, 'access_token');
  requiredString(what, record, 'token_type');
  const expiresIn = record.expires_in;
  return {
    tokens: pick(record, TOKEN_FIELDS),
    credential: accessToken,
    cookies: [],
    expiresInSeconds:
      typeof expiresIn === 'number' && Number.isFinite(expiresIn) && expiresIn > 0 ? expiresIn : undefined,
    subject: subjectOf(record.id_token) ?? subjectOf(accessToken),
  };
}
