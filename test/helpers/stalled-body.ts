import { once } from 'node:events';
import { request as httpRequest, type IncomingMessage, type RequestListener } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * POSTs to `app` on a real socket (127.0.0.1, port 0) a JSON body that announces 1000 bytes, sends a few and
 * then stalls: the answer's status and body, or `'no answer'` after `giveUpMs`.
 */
export async function postStalledBody(
  app: RequestListener,
  path: string,
  headers: Record<string, string>,
  giveUpMs: number,
): Promise<{ status: number; body: string; connection: string | undefined } | 'no answer'> {
  const server = (await import('node:http')).createServer(app).listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  const req = httpRequest({
    port,
    host: '127.0.0.1',
    method: 'POST',
    path,
    headers: { 'Content-Type': 'application/json', 'Content-Length': '1000', ...headers },
  });
  req.on('error', () => {});
  req.write('{"identifier":"alice@example.com","pass');
  const timer = new Promise<'no answer'>((resolve) => setTimeout(() => resolve('no answer'), giveUpMs));
  try {
    const answer = await Promise.race([once(req, 'response') as Promise<[IncomingMessage]>, timer]);
    if (answer === 'no answer') return answer;
    const [res] = answer;
    let body = '';
    for await (const chunk of res) body += String(chunk);
    return { status: res.statusCode ?? 0, body, connection: res.headers.connection };
  } finally {
    req.destroy();
    server.closeAllConnections();
    server.close();
  }
}
