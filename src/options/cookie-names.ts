import type { OptionChecks } from './checks.js';
import type { LegacyConfig, ProviderConfig } from './config.js';

/**
 * Refuses a legacy cookie name that a configured provider also reads (its JWT `cookieName`, its session
 * cookie's exact names or name prefixes such as Ory's `ory_session_`): the signed legacy cookie would be sent
 * to the provider, or read as the provider's credential.
 */
export function refuseSharedCookieNames(
  check: OptionChecks,
  legacy: LegacyConfig | undefined,
  providers: readonly ProviderConfig[],
): void {
  if (legacy?.type !== 'store') return;
  const legacyName = legacy.cookieName;
  providers.forEach((p, i) => {
    const at = providers.length > 1 ? `provider[${i}]` : 'provider';
    const exact: [string, string][] = [];
    if (p.cookieName !== undefined) exact.push([`\`${at}.cookieName\``, p.cookieName]);
    for (const name of p.session?.cookieNames ?? []) exact.push([`the ${p.name} session cookie`, name]);
    for (const [what, name] of exact) {
      if (name === legacyName) {
        check.fail(
          `\`legacy.cookieName\` ${JSON.stringify(legacyName)} is also ${what} (${JSON.stringify(name)}): the legacy cookie would be sent to the provider. Give the two cookies different names (set \`legacy.cookieName\` to your express-session cookie, or rename the provider's cookie).`,
        );
      }
    }
    for (const prefix of p.session?.cookiePrefixes ?? []) {
      if (legacyName.startsWith(prefix)) {
        check.fail(
          `\`legacy.cookieName\` ${JSON.stringify(legacyName)} starts with ${JSON.stringify(prefix)}, the prefix of the ${p.name} session cookies: the legacy cookie would be sent to the provider. Give the express-session cookie a name outside ${JSON.stringify(`${prefix}*`)}.`,
        );
      }
    }
  });
}
