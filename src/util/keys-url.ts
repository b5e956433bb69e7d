function isLoopback(hostname: string): boolean {
  return hostname === 'localhost' || hostname === '[::1]' || /^127(?:\.\d{1,3}){3}$/.test(hostname);
}

/**
 * Keys and discovery documents are fetched over https only; plain http is allowed on the loopback
 * interface (development, tests). Returns the parsed URL, or undefined when it is not acceptable.
 */
export function parseKeysUrl(value: unknown): URL | undefined {
  if (typeof value !== 'string') return undefined;
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return undefined;
  }
  const ok = url.protocol === 'https:' || (url.protocol === 'http:' && isLoopback(url.hostname));
  return ok ? url : undefined;
}
