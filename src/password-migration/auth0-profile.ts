import { toUserId } from '../util/user-id.js';

/** The profile as it is sent to Auth0: only the known fields, `user_id` always a string. */
export interface SentAuth0Profile {
  user_id: string;
  email: string;
  email_verified: boolean;
  name?: string;
  app_metadata?: Record<string, unknown>;
  user_metadata?: Record<string, unknown>;
}

export type ProfileCheck = { ok: true; profile: SentAuth0Profile } | { ok: false; problem: string };

function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null) return false;
  const proto: unknown = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

/** The JSON type of a value, for problem descriptions (values themselves are never quoted). */
function kind(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'array';
  return typeof value;
}

function serialisable(value: Record<string, unknown>): boolean {
  try {
    JSON.stringify(value);
    return true;
  } catch {
    return false;
  }
}

/**
 * Checks what the app's `login` or `getUser` returned before anything is sent to Auth0, and copies only the
 * known fields (an app's user object may carry a password hash). A problem names the field and the type it
 * had, never its value.
 */
export function checkAuth0Profile(value: unknown, from: string): ProfileCheck {
  const bad = (field: string, expected: string, got: unknown): ProfileCheck => ({
    ok: false,
    problem: `${from} returned a profile whose \`${field}\` is not ${expected} (got ${kind(got)})`,
  });
  if (!isPlainObject(value)) {
    return { ok: false, problem: `${from} returned ${kind(value)}; expected a profile object or null` };
  }
  const userId = toUserId(value.user_id);
  if (userId === undefined) return bad('user_id', 'a non-empty string or a finite number', value.user_id);
  if (typeof value.email !== 'string') return bad('email', 'a string', value.email);
  if (typeof value.email_verified !== 'boolean')
    return bad('email_verified', 'a boolean', value.email_verified);
  const profile: SentAuth0Profile = {
    user_id: userId,
    email: value.email,
    email_verified: value.email_verified,
  };
  if (value.name !== undefined) {
    if (typeof value.name !== 'string') return bad('name', 'a string', value.name);
    profile.name = value.name;
  }
  for (const field of ['app_metadata', 'user_metadata'] as const) {
    const metadata = value[field];
    if (metadata === undefined) continue;
    if (!isPlainObject(metadata) || !serialisable(metadata)) {
      return bad(field, 'a plain JSON object', metadata);
    }
    profile[field] = metadata;
  }
  return { ok: true, profile };
}
