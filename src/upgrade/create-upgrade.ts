import type { IncomingMessage, ServerResponse } from 'node:http';
import type { LegacyReader } from '../legacy/reader.js';
import { OptionChecks } from '../options/checks.js';
import type { BridgeConfig } from '../options/config.js';
import { checkProvider, type ProviderRuntime } from '../provider/check.js';
import { type ProviderCredential, readProviderCredential } from '../provider/credential.js';
import type { TokenCache } from '../provider/token-cache.js';
import { readCookies } from '../request/read-cookies.js';
import type { BridgeMode, BridgeRequest } from '../types.js';
import type { UpgradeConfig } from './config.js';
import { createUpgradeEndpoint, type UpgradeHandler } from './endpoint.js';
import { upgradeKeysHandler } from './keys-handler.js';
import type { SessionUpgradeEvent } from './types.js';

/** What a bridge hands to its upgrade endpoint: its parts, read-only. */
export interface UpgradeParts {
  config: BridgeConfig;
  upgrade: UpgradeConfig;
  runtimes: readonly ProviderRuntime[];
  tokenCache: TokenCache<ProviderRuntime> | undefined;
  legacyReader: LegacyReader;
  mode: () => BridgeMode;
  debug: (message: string) => void;
  emit: (event: SessionUpgradeEvent) => void;
}

export interface BridgeUpgrade {
  keys: (req: IncomingMessage, res: ServerResponse, next: (err?: unknown) => void) => void;
  endpoint: UpgradeHandler;
}

/** The upgrade machinery of one bridge, built once: the key set handler and the endpoint. */
export function createBridgeUpgrade(parts: UpgradeParts): BridgeUpgrade {
  const { config, upgrade, runtimes, tokenCache, legacyReader } = parts;
  const runtime = runtimes[upgrade.providerIndex] as ProviderRuntime;
  const target = runtime.config;
  if (upgrade.onUpgrade && target.linkClaim === undefined && target.userId === undefined) {
    new OptionChecks('sessionBridge').missing(
      'provider.userId',
      "`upgrade.onUpgrade` stores a link that `provider.userId` must read back (otherwise the link is lost when the bridge's cache entry expires): pass `userId: (claims) => yourLinks.find(claims.iss, claims.sub) ?? null`, or carry the legacy id in a claim and set `provider.linkClaim`.",
    );
  }
  const cookiesOf = (req: IncomingMessage) => {
    let parsed: Record<string, string | undefined> | undefined;
    return () => {
      parsed ??= readCookies(req);
      return parsed;
    };
  };
  const endpoint = createUpgradeEndpoint(upgrade, {
    now: config.now,
    debug: parts.debug,
    realm: config.realm,
    mode: parts.mode,
    target,
    legacy: (req) => legacyReader.check(req as BridgeRequest, config.now(), cookiesOf(req)),
    provider: (req) => {
      const credential = readProviderCredential(
        req as BridgeRequest,
        config.providers,
        config.acceptsBearer,
        cookiesOf(req),
      );
      return checkProvider(credential, runtimes, config.now(), tokenCache);
    },
    verifyIssued: (token) => {
      const credential: ProviderCredential =
        target.cookieName !== undefined
          ? { type: 'token', token, source: 'cookie', cookieName: target.cookieName }
          : { type: 'token', token, source: 'header' };
      return checkProvider(credential, [runtime], config.now(), tokenCache);
    },
    remember: (payload, userId) => runtime.linker.remember(payload, userId),
    record: (result) => parts.emit({ type: 'session-upgrade', time: config.now(), result }),
  });
  return { keys: upgradeKeysHandler(upgrade.publicKeys), endpoint };
}
