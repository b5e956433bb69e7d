import { parseKeysUrl } from '../util/keys-url.js';

/**
 * A URL option of a preset (`ory({ url })`, `authgear({ endpoint })`, `introspection({ endpoint })`), checked
 * where the user wrote it, so the error names the preset's own option and example rather than `provider.issuer`.
 * Must be https; plain http only on localhost, as for every URL the bridge fetches from.
 */
export function presetUrl(preset: string, option: string, value: unknown, example: string): string {
  if (typeof value !== 'string' || value.length === 0) {
    throw new TypeError(`${preset}(): \`${option}\` is required, e.g. '${example}'.`);
  }
  if (!parseKeysUrl(value)) {
    throw new TypeError(
      `${preset}(): \`${option}\` must be an absolute https URL such as '${example}' (plain http only on localhost; got ${JSON.stringify(value)}).`,
    );
  }
  return value;
}
