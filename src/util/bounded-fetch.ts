/** Largest discovery document or JWKS we read. Real ones are a few KiB. */
export const MAX_KEYS_BODY_BYTES = 512 * 1024;

/** Thrown when a keys endpoint sends more than `MAX_KEYS_BODY_BYTES`. */
export class BodyTooLargeError extends Error {
  override readonly name = 'BodyTooLargeError';
}

/**
 * `fetch` that never follows redirects and never buffers more than `MAX_KEYS_BODY_BYTES`
 * (jose reads JWKS bodies without a bound). Returns a fresh `Response` over the bytes read.
 */
export async function boundedFetch(url: string | URL, init: RequestInit = {}): Promise<Response> {
  const response = await fetch(url, { ...init, redirect: 'manual' });
  const declared = Number(response.headers.get('content-length'));
  if (Number.isFinite(declared) && declared > MAX_KEYS_BODY_BYTES) {
    await response.body?.cancel().catch(() => {});
    throw new BodyTooLargeError(`${String(url)} declared ${declared} bytes (limit ${MAX_KEYS_BODY_BYTES})`);
  }
  const chunks: Uint8Array[] = [];
  let size = 0;
  if (response.body) {
    const reader = response.body.getReader();
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      size += value.byteLength;
      if (size > MAX_KEYS_BODY_BYTES) {
        await reader.cancel().catch(() => {});
        throw new BodyTooLargeError(`${String(url)} sent more than ${MAX_KEYS_BODY_BYTES} bytes`);
      }
      chunks.push(value);
    }
  }
  return new Response(Buffer.concat(chunks), { status: response.status, headers: response.headers });
}
