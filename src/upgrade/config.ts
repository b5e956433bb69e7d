/**
 * The internal configuration of silent migration: what `parseUpgradeOptions` (options/upgrade.ts) makes of the
 * `upgrade` option, with every default filled and every value checked.
 */
import type { JWK } from 'jose';
import type { UpgradeSigningKey } from './signing-key.js';
import type { UpgradeExchange, UpgradeLink, UpgradeOptions } from './types.js';

/** Cookie attributes with their defaults. */
export interface UpgradeCookieConfig {
  domain: string | undefined;
  path: string;
  sameSite: 'lax' | 'strict' | 'none';
  secure: boolean;
}

export interface UpgradeConfig {
  signingKey: UpgradeSigningKey;
  /** The public keys served: the current one first, then `previousKeys`. */
  publicKeys: JWK[];
  issuer: string;
  /** The assertion's `aud`; undefined only for an adapter that sends no assertion (Authgear). */
  audience: string | undefined;
  lifetimeSeconds: number;
  claims: UpgradeOptions['claims'];
  exchange: UpgradeExchange;
  eligible: UpgradeOptions['eligible'];
  deliver: 'cookie' | 'json';
  cookie: UpgradeCookieConfig;
  /** Origins (`scheme://host[:port]`) besides the request's own. */
  allowedOrigins: ReadonlySet<string>;
  /** Index of the provider upgraded to. */
  providerIndex: number;
  onUpgrade: ((link: UpgradeLink) => void | Promise<void>) | undefined;
  timeoutMs: number;
  failureThreshold: number;
  coolDownMs: number;
}
