/**
 * How the example answers errors: a browser that navigated to a page gets an HTML page saying what happened and
 * what to do; API clients (fetch, curl) get the JSON the bridge would send. Same status and headers either way
 * (`WWW-Authenticate`, `Retry-After`). The bridge hands its errors here because it is built with
 * `errors: 'next'`.
 */
import { isBridgeError } from 'express-session-bridge';

const escapeHtml = (value) =>
  String(value).replace(
    /[&<>"']/g,
    (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c],
  );

/** What a person should read for each bridge error code (the JSON keeps the bridge's own description). */
const ADVICE = {
  ERR_BRIDGE_CONFLICT: [
    'Two different users are signed in',
    'Your old-login session and your new-provider sign-in belong to different users, so this app cannot tell who you are. Log out of one of them on the home page, then try again.',
  ],
  ERR_BRIDGE_LEGACY_DISABLED: [
    'Sign in with the new provider',
    'The old login is no longer accepted for your account. Sign in with the new provider on the home page.',
  ],
  ERR_BRIDGE_IDENTITY_UNLINKED: [
    'Your provider account is not linked yet',
    'The new provider signed you in, but this app does not know that account yet. Sign in with the old login too, once, to link them.',
  ],
  ERR_BRIDGE_UNAUTHENTICATED: ['Not signed in', 'Sign in on the home page, either way, then try again.'],
};

const UNAVAILABLE = [
  'Temporarily unavailable',
  'Something this page needs (the session store, the provider, or the stats store) did not answer in time. Nothing is wrong with your account: reload in a few seconds.',
];

/** A self-contained error page (inline CSS, no script). */
export function errorPage(status, title, text) {
  return `<!doctype html><html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1"><title>${escapeHtml(title)}</title>
<style>:root{color-scheme:light dark}body{font:16px/1.5 system-ui,sans-serif;max-width:36rem;margin:2rem auto;padding:0 1rem}
.status{color:#667085}</style></head>
<body><main id="error-page" data-status="${status}"><h1>${escapeHtml(title)}</h1><p>${escapeHtml(text)}</p>
<p class="status">HTTP ${status}</p><p><a href="/">Back to the example app</a></p></main></body></html>`;
}

/** True when the request comes from a browser navigating to a page (it prefers HTML over JSON). */
export function wantsHtml(req) {
  return req.accepts(['json', 'html']) === 'html';
}

/** The last error handler of the example app. */
export function errorHandler(err, req, res, next) {
  if (res.headersSent) return next(err);
  const bridgeError = isBridgeError(err) ? err : undefined;
  const status = bridgeError?.status ?? (Number.isInteger(err?.status) ? err.status : 500);
  if (bridgeError) for (const [name, value] of Object.entries(bridgeError.headers)) res.set(name, value);
  if (status === 503 && !res.get('retry-after')) res.set('Retry-After', '5');
  res.status(status).set('cache-control', 'no-store');
  if (status >= 500 && status !== 503) console.error(err);
  if (wantsHtml(req)) {
    const [title, text] =
      (bridgeError && ADVICE[bridgeError.code]) ??
      (status === 503
        ? UNAVAILABLE
        : status >= 500
          ? ['Something went wrong', 'The example app failed to answer this page. Try again.']
          : ['This request was refused', bridgeError?.message ?? 'Go back to the home page and try again.']);
    return res.type('html').send(errorPage(status, title, text));
  }
  if (!bridgeError) return res.json({ error: status >= 500 ? 'server_error' : 'invalid_request' });
  res.json({
    error: bridgeError.error ?? 'unauthorized',
    error_description: bridgeError.message,
    code: bridgeError.code,
    ...(bridgeError.hint ? { hint: bridgeError.hint } : {}),
  });
}

/** Unknown paths: a page for browsers, JSON for the rest. */
export function notFound(req, res) {
  res.status(404).set('cache-control', 'no-store');
  if (wantsHtml(req)) {
    return res.type('html').send(errorPage(404, 'Page not found', 'There is no page at this address.'));
  }
  res.json({ error: 'not_found' });
}
