import { OptionChecks } from '../options/checks.js';
import { parseKeysUrl } from '../util/keys-url.js';

/**
 * A URL option of a preset (`ory({ url })`, `authgear({ endpoint })`, `introspection({ endpoint })`), checked
 * where the user wrote it, so the error names the preset's own option and example rather than `provider.issuer`.
 * Must be https; plain http only on localhost, as for every URL the bridge fetches from.
 */
export function presetUrl(preset: string, option: string, value: unknown, example: string): string {
  const check: OptionChecks = new OptionChecks(`${preset}()`);
  if (typeof value !== 'string' || value.length === 0)
    check.missing(option, `pass a URL, e.g. '${example}'.`);
  if (!parseKeysUrl(value)) {
    check.invalid(
      option,
      value,
      'an absolute https URL (plain http only on localhost)',
      `a URL such as '${example}'`,
    );
  }
  return value;
}
