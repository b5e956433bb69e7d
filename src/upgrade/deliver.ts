import type { ServerResponse } from 'node:http';
import { serialize } from 'cookie';
import { sendJson } from '../password-migration/respond-json.js';
import type { UpgradeCookieConfig } from './config.js';
import type { UpgradeGrant } from './types.js';

/** Appends `Set-Cookie` lines to what the response already sets. */
function appendCookies(res: ServerResponse, lines: string[]): void {
  const existing = res.getHeader('Set-Cookie');
  const before = existing === undefined ? [] : Array.isArray(existing) ? existing : [String(existing)];
  res.setHeader('Set-Cookie', [...before, ...lines]);
}

/**
 * Answers a successful upgrade: 200 `{ upgraded: true, userId, provider }` with `Cache-Control: no-store`;
 * with `json`, plus `tokens` as the provider gave them; with `cookie`, the provider's cookies instead
 * (HttpOnly, expiring with the provider session) and no token in the body.
 */
export function deliverGrant(
  res: ServerResponse,
  grant: UpgradeGrant,
  body: { userId: string; provider: string },
  how: { deliver: 'cookie' | 'json'; cookie: UpgradeCookieConfig; cookieName: string | undefined },
): void {
  if (how.deliver === 'json') {
    sendJson(res, 200, { upgraded: true, ...body, tokens: grant.tokens });
    return;
  }
  const cookies =
    grant.cookies.length > 0 ? grant.cookies : [{ name: how.cookieName as string, value: grant.credential }];
  const { cookie } = how;
  appendCookies(
    res,
    cookies.map(({ name, value }) =>
      serialize(name, value, {
        httpOnly: true,
        secure: cookie.secure,
        sameSite: cookie.sameSite,
        path: cookie.path,
        ...(cookie.domain === undefined ? {} : { domain: cookie.domain }),
        ...(grant.expiresInSeconds === undefined ? {} : { maxAge: Math.floor(grant.expiresInSeconds) }),
      }),
    ),
  );
  sendJson(res, 200, { upgraded: true, ...body });
}
