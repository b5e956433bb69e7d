import { isRecord, OptionChecks } from '../../options/checks.js';
import { boundedFetch } from '../../util/bounded-fetch.js';
import { parseKeysUrl } from '../../util/keys-url.js';
import { UpgradeRefusal } from '../types.js';

/** A provider's answer: its status and its JSON body (`undefined` when the body is not JSON). */
export interface ProviderAnswer {
  status: number;
  body: unknown;
}

/** Thrown when the provider failed (5xx, 429, a redirect, an answer of the wrong shape): the upgrade is 503. */
export class ProviderFailure extends Error {
  override readonly name = 'ProviderFailure';
  /** The provider answered 429: too many calls from us, not a failure of the provider. */
  readonly throttled: boolean;

  constructor(message: string, options?: ErrorOptions & { throttled?: boolean }) {
    super(message, options);
    this.throttled = options?.throttled === true;
  }
}

export { isRecord };

/** A short, token-free label of an error body: OAuth `error`, Stytch `error_type`; never a description. */
function errorLabel(body: unknown): string {
  if (!isRecord(body)) return 'no JSON error';
  const label = body.error ?? body.error_type;
  return typeof label === 'string' && /^[\w.-]{1,64}$/.test(label) ? label : 'unnamed error';
}

/**
 * POSTs to a provider, at most 512 KiB read back, no redirect followed. A 4xx other than 429 is the provider
 * refusing (`UpgradeRefusal`); a 5xx, a 429, a redirect or a network error is the provider failing. Messages
 * name the status and the provider's error code only: no token, no secret, no description (which may echo one).
 */
export async function postToProvider(
  what: string,
  url: string,
  init: { headers: Record<string, string>; body: string; signal: AbortSignal },
): Promise<ProviderAnswer> {
  let response: Response;
  try {
    response = await boundedFetch(url, { method: 'POST', ...init });
  } catch (cause) {
    throw new ProviderFailure(`${what}: the request failed (${(cause as Error)?.name ?? 'error'})`, {
      cause,
    });
  }
  const text = await response.text();
  let body: unknown;
  try {
    body = text.length > 0 ? JSON.parse(text) : undefined;
  } catch {
    body = undefined;
  }
  const { status } = response;
  if (status >= 400 && status < 500 && status !== 429) {
    throw new UpgradeRefusal(`${what}: refused with ${status} (${errorLabel(body)})`);
  }
  if (status < 200 || status >= 300) {
    throw new ProviderFailure(`${what}: answered ${status} (${errorLabel(body)})`, {
      throttled: status === 429,
    });
  }
  if (!isRecord(body)) throw new ProviderFailure(`${what}: answered ${status} without a JSON object`);
  return { status, body };
}

/** A non-empty string field of a provider's answer, or a `ProviderFailure` naming it. */
export function requiredString(what: string, body: Record<string, unknown>, name: string): string {
  const value = body[name];
  if (typeof value !== 'string' || value.length === 0) {
    throw new ProviderFailure(`${what}: the answer has no \`${name}\``);
  }
  return value;
}

/** The fields `names` of `body` that are present, as the provider gave them. */
export function pick(body: Record<string, unknown>, names: readonly string[]): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const name of names) if (body[name] !== undefined) out[name] = body[name];
  return out;
}

/** The shared option checks of an adapter factory: every message starts with `factory()`. */
export function adapterChecks(factory: string): OptionChecks {
  return new OptionChecks(`${factory}()`);
}

/** Fails adapter construction with a `TypeError` that starts with the factory's name. */
export function adapterFail(factory: string, message: string): never {
  return adapterChecks(factory).fail(message);
}

/** A required non-empty string option: left out, "is required"; of the wrong type, "must be". */
export function requiredOption(factory: string, name: string, value: unknown, hint: string): string {
  const check = adapterChecks(factory);
  if (value === undefined || value === '') check.missing(name, `pass ${hint}.`);
  return check.string(name, value, undefined, hint) as string;
}

/** An optional non-empty string option. */
export function optionalOption(
  factory: string,
  name: string,
  value: unknown,
  hint: string,
): string | undefined {
  return adapterChecks(factory).string(name, value, undefined, hint);
}

/** An https URL (plain http only on the loopback interface, for tests), as a string. */
export function providerUrl(factory: string, name: string, value: unknown, example: string): string {
  const check = adapterChecks(factory);
  if (value === undefined) check.missing(name, `pass an https URL such as ${example}.`);
  const url = parseKeysUrl(value);
  if (!url) {
    check.invalid(
      name,
      value,
      'an https URL (plain http only on 127.0.0.1 or localhost, for tests)',
      `a URL such as ${example}`,
    );
  }
  return (url as URL).href.replace(/\/$/, '');
}

/** Refuses option names the factory does not know. */
export function knownOptions(
  factory: string,
  options: unknown,
  known: readonly string[],
): Record<string, unknown> {
  const check = adapterChecks(factory);
  const given = check.record(options, 'pass an options object.');
  check.knownKeys(given, Object.fromEntries(known.map((key) => [key, true])));
  return given;
}

/** `Basic base64(id:secret)`. */
export function basicAuth(id: string, secret: string): string {
  return `Basic ${Buffer.from(`${id}:${secret}`, 'utf8').toString('base64')}`;
}
