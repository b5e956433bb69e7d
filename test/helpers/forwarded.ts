/**
 * What the bridge sends a provider endpoint (whoami, resolver, introspection, JWKS) must carry the provider's
 * own credential and nothing else of the app's request: these are the app's other cookies and headers a test
 * sends along, and the check on what a stand-in recorded.
 */
import { expect } from 'vitest';
import type { RecordedRequest } from './standin-server.js';

/** Marker values: none of them may reach a provider, in any header or the body. */
export const APP_SECRETS = {
  other: 'app-cookie-secret-1f2e',
  sid: 's%3Aapp-legacy-sid-9a8b.c7d6',
  foreignOry: 'ory_st_foreign0000000000000000000',
  apiKey: 'app-api-key-5e4d',
} as const;

/** Parts of `APP_SECRETS` that survive cookie decoding (`s%3A...` is forwarded as `s:...` if at all). */
const MARKERS = ['app-cookie-secret-1f2e', 'app-legacy-sid-9a8b', 'ory_st_foreign', 'app-api-key-5e4d'];

/** The app's own cookies, as a browser would send them next to a provider's cookie. */
export function appCookies(options: { withForeignOry?: boolean } = {}): string[] {
  return [
    `other=${APP_SECRETS.other}`,
    `connect.sid=${APP_SECRETS.sid}`,
    ...(options.withForeignOry === false ? [] : [`ory_session_playground=${APP_SECRETS.foreignOry}`]),
  ];
}

/** Headers fetch (undici) adds on its own; anything else must be named in `expected`. */
const TRANSPORT_HEADERS = new Set([
  'host',
  'connection',
  'accept',
  'accept-language',
  'accept-encoding',
  'sec-fetch-mode',
  'user-agent',
  'content-type',
  'content-length',
]);

/**
 * Asserts that `recorded` carried exactly the `expected` credential headers (name -> value) and no header or
 * body byte of the app's own request.
 */
export function expectOnlyForwarded(
  recorded: RecordedRequest | undefined,
  expected: Record<string, string>,
): void {
  expect(recorded, 'the provider endpoint was not called').toBeDefined();
  if (!recorded) return;
  for (const [name, value] of Object.entries(expected)) expect(recorded.headers[name]).toBe(value);
  const extra = Object.keys(recorded.headers).filter(
    (name) => !TRANSPORT_HEADERS.has(name) && !Object.hasOwn(expected, name),
  );
  expect(extra).toEqual([]);
  const sent = `${JSON.stringify(recorded.headers)}\n${recorded.body}`;
  for (const marker of MARKERS) {
    if (Object.values(expected).some((v) => v.includes(marker))) continue;
    expect(sent).not.toContain(marker);
  }
  expect(sent).not.toContain('x-api-key');
}
