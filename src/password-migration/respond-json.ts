import type { ServerResponse } from 'node:http';

/**
 * Answers JSON with `Cache-Control: no-store` (answers about passwords must not be cached). Plain Node API,
 * so it works on Express 4 and 5. When headers were already sent there is nothing sound left to say: the
 * connection is closed.
 */
export function sendJson(
  res: ServerResponse,
  status: number,
  body: object,
  headers: Readonly<Record<string, string>> = {},
): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  const text = JSON.stringify(body);
  res.statusCode = status;
  for (const [name, value] of Object.entries(headers)) res.setHeader(name, value);
  res.setHeader('Cache-Control', 'no-store');
  res.setHeader('Content-Type', 'application/json; charset=utf-8');
  res.setHeader('Content-Length', Buffer.byteLength(text));
  res.end(text);
}
