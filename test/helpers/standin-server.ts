/**
 * A local HTTP stand-in for a provider endpoint: node:http on 127.0.0.1, with a route handler, a record of
 * every request (so tests can assert what was forwarded), and controls to slow it down, make it fail, stop it
 * (connection refused) and start it again on the same port.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface RecordedRequest {
  method: string;
  path: string;
  query: URLSearchParams;
  headers: IncomingMessage['headers'];
  body: string;
}

export type StandinHandler = (req: RecordedRequest, res: ServerResponse) => void;

export interface StandinServer {
  readonly origin: string;
  readonly requests: RecordedRequest[];
  /** `ok`: the handler answers; `fail`: 500; `throttle`: 429 (OAuth's shape); `hang`: never answers. */
  mode: 'ok' | 'fail' | 'throttle' | 'hang';
  /** Milliseconds to wait before answering. */
  delayMs: number;
  /** Close the port: connection refused until `start()`. */
  stop(): Promise<void>;
  /** Listen again on the same port. */
  start(): Promise<void>;
  close(): Promise<void>;
}

export async function startStandin(handler: StandinHandler): Promise<StandinServer> {
  const hanging = new Set<ServerResponse>();
  let server: Server | undefined;
  let port = 0;
  const state: StandinServer = {
    origin: '',
    requests: [],
    mode: 'ok',
    delayMs: 0,
    async stop() {
      const current = server;
      server = undefined;
      if (!current) return;
      for (const res of hanging) res.destroy();
      hanging.clear();
      await new Promise<void>((resolve) => {
        current.close(() => resolve());
        current.closeAllConnections();
      });
    },
    async start() {
      if (server) return;
      const next = createServer((req, res) => {
        const chunks: Buffer[] = [];
        req.on('data', (c: Buffer) => chunks.push(c));
        req.on('end', () => {
          const url = new URL(req.url ?? '/', 'http://standin');
          const recorded: RecordedRequest = {
            method: req.method ?? 'GET',
            path: url.pathname,
            query: url.searchParams,
            headers: req.headers,
            body: Buffer.concat(chunks).toString('utf8'),
          };
          state.requests.push(recorded);
          const answer = () => {
            if (state.mode === 'hang') {
              hanging.add(res);
              res.on('close', () => hanging.delete(res));
              return;
            }
            if (state.mode === 'fail') {
              res.writeHead(500, { 'content-type': 'text/plain' }).end('internal error');
              return;
            }
            if (state.mode === 'throttle') {
              res
                .writeHead(429, { 'content-type': 'application/json' })
                .end(JSON.stringify({ error: 'too_many_attempts', error_description: 'Too many attempts.' }));
              return;
            }
            handler(recorded, res);
          };
          if (state.delayMs > 0) setTimeout(answer, state.delayMs);
          else answer();
        });
      });
      await new Promise<void>((resolve) => next.listen(port, '127.0.0.1', resolve));
      port = (next.address() as AddressInfo).port;
      server = next;
    },
    async close() {
      await state.stop();
    },
  };
  await state.start();
  Object.assign(state, { origin: `http://127.0.0.1:${port}` });
  return state;
}

export function json(
  res: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): void {
  res.writeHead(status, { 'content-type': 'application/json', ...headers }).end(JSON.stringify(body));
}
