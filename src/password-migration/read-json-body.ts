import type { IncomingMessage } from 'node:http';

/** Largest request body the migration endpoints read: 16 KiB. */
export const BODY_LIMIT_BYTES = 16 * 1024;

/** Default deadline for the whole body to arrive: 10 s. */
export const BODY_TIMEOUT_MS = 10_000;

export type BodyResult =
  | { ok: true; body: Record<string, unknown> }
  | {
      ok: false;
      status: 400 | 408 | 413;
      error: 'invalid_request' | 'request_timeout' | 'payload_too_large';
      problem: string;
    };

const utf8 = new TextDecoder('utf-8', { fatal: true });

function tooLarge(limit: number): BodyResult {
  return { ok: false, status: 413, error: 'payload_too_large', problem: `body larger than ${limit} bytes` };
}

function invalid(problem: string): BodyResult {
  return { ok: false, status: 400, error: 'invalid_request', problem };
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value) && !Buffer.isBuffer(value);
}

function parse(bytes: Uint8Array, limit: number): BodyResult {
  if (bytes.byteLength > limit) return tooLarge(limit);
  let value: unknown;
  try {
    value = JSON.parse(utf8.decode(bytes));
  } catch {
    return invalid('body is not UTF-8 JSON');
  }
  return isObject(value) ? { ok: true, body: value } : invalid('body is not a JSON object');
}

/** The stream can no longer give the body: a parser read it, or it has ended. */
function consumed(req: IncomingMessage): boolean {
  return req.readableEnded || req.readableFlowing !== null || req.destroyed;
}

/**
 * Reads a JSON object body of at most `limit` bytes. A `Content-Length` above the limit is refused before
 * reading; otherwise bytes are counted as they arrive (chunked bodies, or a length header that lies), and
 * reading stops at the limit. On 413 the rest of the body is read and dropped, so the client gets the answer
 * rather than a reset while it is still sending.
 *
 * The whole body must arrive within `timeoutMs`; a slower one is answered 408 (the caller closes the
 * connection), never a request that hangs for as long as the client keeps dripping bytes.
 *
 * Works behind a body parser: an object in `req.body` (e.g. from `express.json()`) is used as it is (the
 * stream is not read again), a string or Buffer (`express.text()`, `express.raw()`) is parsed. Express 4's
 * `express.json()` leaves `req.body = {}` for other content types without reading: the stream is read then.
 */
export function readJsonBody(
  req: IncomingMessage,
  limit = BODY_LIMIT_BYTES,
  timeoutMs = BODY_TIMEOUT_MS,
): Promise<BodyResult> {
  const parsed: unknown = (req as IncomingMessage & { body?: unknown }).body;
  if (typeof parsed === 'string') return Promise.resolve(parse(Buffer.from(parsed, 'utf8'), limit));
  if (parsed instanceof Uint8Array) return Promise.resolve(parse(parsed, limit));
  if (isObject(parsed) && (consumed(req) || Object.keys(parsed).length > 0)) {
    return Promise.resolve({ ok: true, body: parsed });
  }
  if (parsed !== undefined && !isObject(parsed)) return Promise.resolve(invalid('body is not a JSON object'));
  if (consumed(req)) return Promise.resolve(invalid('body was already read by another middleware'));

  const declared = Number(req.headers['content-length']);
  if (declared > limit) {
    req.resume();
    return Promise.resolve(tooLarge(limit));
  }
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const timer = setTimeout(() => {
      finish({
        ok: false,
        status: 408,
        error: 'request_timeout',
        problem: `the body did not arrive within ${timeoutMs} ms`,
      });
      req.resume();
    }, timeoutMs);
    timer.unref();
    const finish = (result: BodyResult) => {
      clearTimeout(timer);
      req.off('data', onData);
      req.off('end', onEnd);
      req.off('error', onError);
      req.off('close', onClose);
      resolve(result);
    };
    const onData = (chunk: Buffer) => {
      size += chunk.byteLength;
      if (size <= limit) {
        chunks.push(chunk);
        return;
      }
      finish(tooLarge(limit));
      req.resume();
    };
    const onEnd = () => finish(parse(Buffer.concat(chunks, size), limit));
    const onError = () => finish(invalid('the request stream failed'));
    const onClose = () => finish(invalid('the request ended before its body'));
    req.on('data', onData);
    req.on('end', onEnd);
    req.on('error', onError);
    req.on('close', onClose);
  });
}
