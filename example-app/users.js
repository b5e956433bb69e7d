/**
 * The existing backend's user table, and the link from the new provider's accounts to it.
 *
 * Legacy passwords are plain text on purpose: this is a demo of the *migration*, not of password storage.
 */

/** Users of the existing backend, keyed by the backend's own user id. */
export const users = {
  u_1001: { name: 'alice', legacyPassword: 'alice', admin: true },
  u_1002: { name: 'bob', legacyPassword: 'bob' },
  u_1003: {
    name: 'carol',
    legacyPassword: undefined,
    note: 'signed up after the migration began: provider only',
  },
  u_1004: { name: 'dave', legacyPassword: 'dave', note: 'has no provider account yet: legacy only' },
};

/**
 * Accounts that exist at the new provider (the `sub` of its tokens). On the development login screen,
 * type the account name; any password is accepted there.
 */
export const providerAccounts = {
  alice: { name: 'Alice Example', email: 'alice@example.com' },
  bob: { name: 'Bob Example', email: 'bob@example.com' },
  carol: { name: 'Carol Example', email: 'carol@example.com' },
};

/**
 * Identity linking: provider subject -> the backend's user id. In a real migration this column is filled
 * by the provider's import job or at the user's first provider login (never by matching e-mail addresses).
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
