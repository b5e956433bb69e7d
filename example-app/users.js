/**
 * The existing backend's user table, and the link from the new provider's accounts to it.
 *
 * Legacy passwords are plain text on purpose: this is a demo of the *migration*, not of password storage.
 */

/** Users of the existing backend, keyed by the backend's own user id. */
export const users = {
  u_1001: { name: 'alice', email: 'alice@example.com', legacyPassword: 'alice', admin: true },
  u_1002: { name: 'bob', email: 'bob@example.com', legacyPassword: 'bob' },
  u_1003: {
    name: 'carol',
    email: 'carol@example.com',
    legacyPassword: undefined,
    note: 'signed up after the migration began: provider only',
  },
  u_1004: {
    name: 'dave',
    email: 'dave@example.com',
    legacyPassword: 'dave',
    note: 'has a provider account that is not linked yet: it is linked at his first provider sign-in',
  },
  u_1005: { name: 'erin', email: 'erin@example.com', legacyPassword: 'erin', note: 'legacy only' },
};

/**
 * Accounts that exist at the new provider (the `sub` of its tokens). On the provider's sign-in screen,
 * type the account name; any password is accepted there.
 */
export const providerAccounts = {
  alice: { name: 'Alice Example', email: 'alice@example.com' },
  bob: { name: 'Bob Example', email: 'bob@example.com' },
  carol: { name: 'Carol Example', email: 'carol@example.com' },
  dave: { name: 'Dave Example', email: 'dave@example.com', emailVerified: true },
};

/**
 * Identity linking: provider subject -> the backend's user id. In a real migration this column is filled
 * by the provider's import job, or at the user's first provider sign-in while they still hold their legacy
 * session (`linkAtFirstSignIn` below, called by the bridge's `provider.link`).
 */
export const linkedUserIds = {
  alice: 'u_1001',
  bob: 'u_1002',
  carol: 'u_1003',
};

/** The user id for a legacy username/password pair, or undefined. */
export function checkLegacyPassword(username, password) {
  for (const [id, user] of Object.entries(users)) {
    if (user.legacyPassword !== undefined && user.name === username && user.legacyPassword === password)
      return id;
  }
  return undefined;
}

/**
 * Linking at first sign-in (the bridge's `provider.link`): the request carries dave's legacy session and a
 * provider token for an account that is not linked yet. Link only when the provider account's *verified*
 * email is the legacy user's email: a legacy cookie alone must not be enough to claim an account.
 */
export function linkAtFirstSignIn({ sub }, legacy) {
  const account = providerAccounts[sub];
  const user = users[legacy.userId];
  if (!account?.emailVerified || !user || account.email !== user.email) return false;
  linkedUserIds[sub] = legacy.userId; // the app stores the link (a database column in real life)
  return true;
}
