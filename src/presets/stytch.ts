import { OptionChecks } from '../options/checks.js';
import type { ProviderOptions } from '../types.js';
import { presetHost } from './auth0.js';

/** Options of the `stytch()` preset; any `ProviderOptions` field overrides what the preset sets. */
export interface StytchPresetOptions extends Partial<ProviderOptions> {
  /** Your Stytch project id, e.g. `project-live-6a1f...`. */
  projectId: string;
  /** `'test'` or `'live'`. Default: read from the project id (`project-test-...` / `project-live-...`). */
  environment?: 'test' | 'live';
  /** Your Stytch custom domain (e.g. `login.example.com`): the issuer becomes `https://{customDomain}`. */
  customDomain?: string;
}

/**
 * Stytch session JWTs: issuer `stytch.com/{projectId}` (not a URL) or `https://{customDomain}`, audience
 * `[projectId]`, keys at `https://{test|api}.stytch.com/v1/sessions/jwks/{projectId}` (or the custom domain's
 * `/.well-known/jwks.json`), read from the `stytch_session_jwt` cookie set by Stytch's SDK, or from Bearer.
 */
export function stytch(options: StytchPresetOptions): ProviderOptions {
  const { projectId, environment, customDomain, ...overrides } = options;
  const check = new OptionChecks('stytch()');
  if (typeof projectId !== 'string' || !/^project-(test|live)-[A-Za-z0-9-]+$/.test(projectId)) {
    check.invalid('projectId', projectId, "your Stytch project id, e.g. 'project-live-6a1f...'");
  }
  const env = check.oneOf(
    'environment',
    environment,
    ['test', 'live'] as const,
    projectId.startsWith('project-live-') ? 'live' : 'test',
  );
  const base: ProviderOptions =
    customDomain === undefined
      ? {
          name: 'stytch',
          issuer: `stytch.com/${projectId}`,
          plainIssuer: true,
          audience: [projectId],
          jwksUri: `https://${env === 'live' ? 'api' : 'test'}.stytch.com/v1/sessions/jwks/${projectId}`,
        }
      : {
          name: 'stytch',
          issuer: `https://${presetHost('stytch', 'customDomain', customDomain, 'login.example.com')}`,
          audience: [projectId],
          jwksUri: `https://${presetHost('stytch', 'customDomain', customDomain, 'login.example.com')}/.well-known/jwks.json`,
        };
  return { ...base, algorithms: ['RS256'], bearer: true, cookieName: 'stytch_session_jwt', ...overrides };
}
