/**
 * A real OpenID provider key endpoint for tests: node:http on 127.0.0.1, ephemeral port.
 * Serves `/.well-known/openid-configuration` (issuer, jwks_uri) and `/jwks.json`, with controls to
 * rotate keys, publish arbitrary (unusable) entries, fail (500), hang (never answer), serve garbage, and count
 * requests.
 * Paths are matched exactly, so a client that builds `{issuer}//.well-known/...` gets a 404.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { JWK } from 'jose';
import type { SigningKey } from './tokens.js';

/**
 * `ok` serves the document; `fail` 500; `hang` never answers; `garbage` 200 non-JSON; `html` 200 `text/html`
 * (a login or error page); `empty` 200 with an empty body; `not-jwks` 200 JSON of the wrong shape; `huge` 200 with
 * the real document padded to several MiB, streamed without a length (no real key set is that large);
 * `oversize` 200 with the real document padded to just over 512 KiB and a declared `content-length`.
 */
export type EndpointMode =
  | 'ok'
  | 'fail'
  | 'hang'
  | 'garbage'
  | 'html'
  | 'empty'
  | 'not-jwks'
  | 'huge'
  | 'oversize';

export interface JwksServer {
  /** `http://127.0.0.1:<port>` */
  readonly origin: string;
  /** The issuer published by discovery (and to put in tokens' `iss`). */
  readonly issuer: string;
  readonly jwksUri: string;
  readonly discoveryUrl: string;
  /** Requests served so far, per endpoint (also counted while failing or hanging). */
  readonly counts: { discovery: number; jwks: number; other: number };
  /** Replace the published keys. */
  publish(...keys: Array<SigningKey | JWK>): void;
  /** Replace the published `keys` array with arbitrary entries (non-objects, private or broken keys, ...). */
  publishRaw(entries: unknown[]): void;
  /** Publish a new key (new kid) in front of the current ones; `dropOld` removes the old ones. */
  rotate(key: SigningKey | JWK, options?: { dropOld?: boolean }): void;
  /** Behaviour of one endpoint, or of both when `endpoint` is omitted. */
  setMode(mode: EndpointMode, endpoint?: 'jwks' | 'discovery'): void;
  /** Go down: the port is closed (connection refused) until `start()`. Keys, modes and counts are kept. */
  stop(): Promise<void>;
  /** Come back on the same port after `stop()`. */
  start(): Promise<void>;
  /** Stop answering at all, for good: the port is closed (connection refused). */
  close(): Promise<void>;
}

export interface JwksServerOptions {
  keys?: Array<SigningKey | JWK>;
  /** Issuer from the origin. Default: origin with a trailing `/` (as Auth0 publishes it). */
  issuer?: (origin: string) => string;
}

function toJwk(key: SigningKey | JWK): JWK {
  return 'publicJwk' in key ? (key as SigningKey).publicJwk : (key as JWK);
}

export async function startJwksServer(options: JwksServerOptions = {}): Promise<JwksServer> {
  let keys: unknown[] = (options.keys ?? []).map(toJwk);
  const modes: Record<'jwks' | 'discovery', EndpointMode> = { jwks: 'ok', discovery: 'ok' };
  const counts = { discovery: 0, jwks: 0, other: 0 };
  const hanging = new Set<ServerResponse>();
  let origin = '';
  let issuer = '';

  const send = (res: ServerResponse, mode: EndpointMode, document: unknown): void => {
    switch (mode) {
      case 'ok':
        res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(document));
        return;
      case 'fail':
        res.writeHead(500, { 'content-type': 'text/plain' }).end('internal error');
        return;
      case 'hang':
        hanging.add(res);
        res.on('close', () => hanging.delete(res));
        return;
      case 'garbage':
        res.writeHead(200, { 'content-type': 'application/json' }).end('<html>{{ not json');
        return;
      case 'html':
        res
          .writeHead(200, { 'content-type': 'text/html; charset=utf-8' })
          .end('<!doctype html><html><body><h1>Sign in</h1></body></html>');
        return;
      case 'empty':
        res.writeHead(200, { 'content-type': 'application/json', 'content-length': '0' }).end();
        return;
      case 'huge':
        res
          .writeHead(200, { 'content-type': 'application/json' })
          .end(JSON.stringify({ ...(document as object), padding: 'x'.repeat(4 * 1024 * 1024) }));
        return;
      case 'oversize': {
        const body = JSON.stringify({ ...(document as object), padding: 'x'.repeat(512 * 1024) });
        res
          .writeHead(200, {
            'content-type': 'application/json',
            'content-length': String(Buffer.byteLength(body)),
          })
          .end(body);
        return;
      }
      case 'not-jwks':
        res
          .writeHead(200, { 'content-type': 'application/json' })
          .end(JSON.stringify({ keys: 'nope', jwks_uri: 42 }));
        return;
    }
  };

  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const path = (req.url ?? '').split('?')[0];
    if (path === '/.well-known/openid-configuration') {
      counts.discovery += 1;
      send(res, modes.discovery, { issuer, jwks_uri: `${origin}/jwks.json` });
    } else if (path === '/jwks.json') {
      counts.jwks += 1;
      send(res, modes.jwks, { keys });
    } else {
      counts.other += 1;
      res.writeHead(404, { 'content-type': 'text/plain' }).end('not found');
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  origin = `http://127.0.0.1:${port}`;
  issuer = options.issuer ? options.issuer(origin) : `${origin}/`;
  const shutdown = (): Promise<void> => {
    for (const res of hanging) res.destroy();
    hanging.clear();
    return new Promise<void>((resolve) => {
      // Called with an error when the server was already stopped: it is down either way.
      server.close(() => resolve());
      server.closeAllConnections();
    });
  };
  let closed = false;

  return {
    origin,
    issuer,
    jwksUri: `${origin}/jwks.json`,
    discoveryUrl: `${origin}/.well-known/openid-configuration`,
    counts,
    publish(...next) {
      keys = next.map(toJwk);
    },
    publishRaw(entries) {
      keys = [...entries];
    },
    rotate(key, rotateOptions = {}) {
      keys = rotateOptions.dropOld ? [toJwk(key)] : [toJwk(key), ...keys];
    },
    setMode(mode, endpoint) {
      if (endpoint === undefined || endpoint === 'jwks') modes.jwks = mode;
      if (endpoint === undefined || endpoint === 'discovery') modes.discovery = mode;
    },
    stop() {
      return shutdown();
    },
    async start() {
      if (closed || server.listening) return;
      await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
    },
    async close() {
      if (closed) return;
      closed = true;
      await shutdown();
    },
  };
}
