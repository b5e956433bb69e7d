/**
 * A listening app for silent-migration tests: the bridge with `upgrade`, its `upgradeKeys()` served over real
 * HTTP on 127.0.0.1 (the stand-ins fetch it), the upgrade endpoint, and `/me` answering `req.auth`.
 */
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { exportJWK, generateKeyPair, type JWK } from 'jose';
import { type BridgeOptions, type SessionBridge, sessionBridge } from '../../src/index.js';
import type { ExpressFactory } from './express-versions.js';
import type { BridgeTrust } from './upgrade-standins.js';

export const KEYS_PATH = '/.well-known/upgrade-keys.json';
export const UPGRADE_PATH = '/auth/upgrade';

/** A private JWK with `kid` and `alg`, as `upgrade.signingKey` takes it. */
export async function upgradeSigningKey(
  alg: 'RS256' | 'ES256' = 'RS256',
  kid = `upgrade-${alg.toLowerCase()}`,
): Promise<JWK> {
  const { privateKey } = await generateKeyPair(alg, { extractable: true });
  return { ...(await exportJWK(privateKey)), kid, alg };
}

/** The trust a provider places in the bridge; `keysUrl` is known once the app listens. */
export function bridgeTrust(
  audience: string,
  issuer = 'https://app.example.test',
): BridgeTrust & { setKeysUrl(url: string): void } {
  let url = '';
  return {
    issuer,
    audience,
    keysUrl: () => url,
    setKeysUrl(next) {
      url = next;
    },
  };
}

export interface UpgradeApp {
  origin: string;
  bridge: SessionBridge;
  keysUrl: string;
  close(): Promise<void>;
}

export async function startUpgradeApp(
  express: ExpressFactory,
  options: BridgeOptions,
  trust?: { setKeysUrl(url: string): void },
): Promise<UpgradeApp> {
  const bridge = sessionBridge(options);
  const app = express();
  app.get(KEYS_PATH, bridge.upgradeKeys());
  app.all(UPGRADE_PATH, bridge.upgradeEndpoint());
  app.get('/me', bridge, (req, res) => {
    const auth = (req as unknown as { auth?: { userId: string; kind: string } }).auth;
    res.json(auth ? { userId: auth.userId, kind: auth.kind } : null);
  });
  const server: Server = await new Promise((resolve) => {
    const s = app.listen(0, '127.0.0.1', () => resolve(s));
  });
  const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  trust?.setKeysUrl(`${origin}${KEYS_PATH}`);
  return {
    origin,
    bridge,
    keysUrl: `${origin}${KEYS_PATH}`,
    async close() {
      await bridge.close();
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
    },
  };
}

/** The `name=value` pairs of a response's `Set-Cookie` headers, by name. */
export function setCookies(
  header: string | string[] | undefined,
): Record<string, { value: string; line: string }> {
  const out: Record<string, { value: string; line: string }> = {};
  for (const line of ([] as string[]).concat(header ?? [])) {
    const first = line.split(';')[0] ?? '';
    const eq = first.indexOf('=');
    out[first.slice(0, eq)] = { value: decodeURIComponent(first.slice(eq + 1)), line };
  }
  return out;
}
