/**
 * The local provider's pages: its sign-in and consent screens (the interactions), sign-out and error pages.
 *
 * oidc-provider's development screens (`devInteractions`) import a web font from fonts.googleapis.com, and the
 * example promises that nothing leaves the machine, so it serves its own: plain server-rendered HTML with inline
 * CSS, no script, no external URL. Like the development screens, they accept any password for an account in
 * the table (`users.js`); a real provider checks it.
 */
import express from 'express';
import { providerAccounts } from './users.js';

const escapeHtml = (value) =>
  String(value).replace(
    /[&<>"']/g,
    (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c],
  );

/** A self-contained page of the provider: inline CSS, no script, nothing loaded from elsewhere. */
export const page = (title, body) => `<!doctype html><html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1"><title>${escapeHtml(title)}</title>
<style>:root{color-scheme:light dark}body{font:16px/1.5 system-ui,sans-serif;max-width:28rem;margin:2rem auto;padding:0 1rem}
label{display:block;margin:.5rem 0}input{font:inherit;width:100%;padding:.5rem;margin-top:.125rem;box-sizing:border-box}
button{font:inherit;padding:.5rem 1rem;margin:.25rem .5rem .25rem 0;border-radius:6px;border:1px solid #888;background:transparent;color:inherit}
button[type=submit].primary,button[value=yes]{background:#0b5cad;color:#fff;border-color:#0b5cad}
.error{color:#b42318}.hint{color:#667085;font-size:.9rem}pre{white-space:pre-wrap}</style>
</head><body><p><small>New provider (local OpenID provider)</small></p>${body}</body></html>`;

function loginScreen(uid, { error, login = '' } = {}) {
  return page(
    'Sign in to the new provider',
    `<h1>Sign in to the new provider</h1>
${error ? `<p class="error" role="alert">${escapeHtml(error)}</p>` : ''}
<form method="post" action="/oidc/interaction/${escapeHtml(uid)}/login">
<input type="hidden" name="prompt" value="login">
<label>Account <input name="login" autocomplete="username" required autofocus value="${escapeHtml(login)}"></label>
<label>Password <input name="password" type="password" autocomplete="current-password" required></label>
<button type="submit" class="primary">Sign in</button>
</form>
<p class="hint">Demo accounts: ${Object.keys(providerAccounts).join(', ')}; any password.</p>
<form method="post" action="/oidc/interaction/${escapeHtml(uid)}/abort"><button type="submit">Cancel</button></form>`,
  );
}

/** What the client asks for that the user has not granted yet, in words. */
function asked(details) {
  const scopes = (details.missingOIDCScope ?? []).filter((s) => s !== 'openid' && s !== 'offline_access');
  const claims = (details.missingOIDCClaims ?? []).filter(
    (c) => !['sub', 'sid', 'auth_time', 'acr', 'amr', 'iss'].includes(c),
  );
  const resources = Object.entries(details.missingResourceScopes ?? {}).map(
    ([resource, list]) => `${list.join(' ')} at ${resource}`,
  );
  const items = [
    ...scopes.map((s) => `scope ${s}`),
    ...claims.map((c) => `claim ${c}`),
    ...resources.map((r) => `access: ${r}`),
  ];
  return items.length > 0
    ? `<ul>${items.map((i) => `<li>${escapeHtml(i)}</li>`).join('')}</ul>`
    : '<p>It asks you to confirm an authorization given before.</p>';
}

function consentScreen(uid, clientName, details) {
  return page(
    'Allow access',
    `<h1>Allow ${escapeHtml(clientName)} to use your account?</h1>
${asked(details)}
<form method="post" action="/oidc/interaction/${escapeHtml(uid)}/confirm">
<input type="hidden" name="prompt" value="consent">
<button type="submit" class="primary" autofocus>Continue</button>
</form>
<form method="post" action="/oidc/interaction/${escapeHtml(uid)}/abort"><button type="submit">Cancel</button></form>`,
  );
}

/**
 * The interaction routes, mounted at `/oidc/interaction` ahead of the provider (its `interactions.url` points
 * here): `GET /:uid` shows the screen of the current prompt, `POST /:uid/login`, `/:uid/confirm` and `/:uid/abort`
 * finish it and send the browser back to the provider.
 * @param {import('oidc-provider').default} provider
 */
export function providerScreens(provider) {
  const router = express.Router();
  const form = express.urlencoded({ extended: false, limit: '4kb' });
  const html = (res, status, body) =>
    res.status(status).set('cache-control', 'no-store').type('html').send(body);

  router.get('/:uid', async (req, res, next) => {
    try {
      const { uid, prompt, params } = await provider.interactionDetails(req, res);
      if (prompt.name === 'login') return html(res, 200, loginScreen(uid));
      if (prompt.name === 'consent') {
        const client = await provider.Client.find(String(params.client_id));
        return html(
          res,
          200,
          consentScreen(uid, client?.clientName ?? String(params.client_id), prompt.details),
        );
      }
      return html(
        res,
        501,
        page('Not supported', `<h1>Prompt ${escapeHtml(prompt.name)} is not supported</h1>`),
      );
    } catch (err) {
      next(err);
    }
  });

  router.post('/:uid/login', form, async (req, res, next) => {
    try {
      const { uid, prompt } = await provider.interactionDetails(req, res);
      if (prompt.name !== 'login') return res.redirect(303, `/oidc/interaction/${uid}`);
      const login = String(req.body?.login ?? '').trim();
      if (!Object.hasOwn(providerAccounts, login)) {
        return html(
          res,
          200,
          loginScreen(uid, { login, error: `No account named “${login}” at this provider.` }),
        );
      }
      await provider.interactionFinished(
        req,
        res,
        { login: { accountId: login } },
        { mergeWithLastSubmission: false },
      );
    } catch (err) {
      next(err);
    }
  });

  router.post('/:uid/confirm', form, async (req, res, next) => {
    try {
      const details = await provider.interactionDetails(req, res);
      const { prompt, grantId, session, params } = details;
      if (prompt.name !== 'consent') return res.redirect(303, `/oidc/interaction/${details.uid}`);
      const grant = grantId
        ? await provider.Grant.find(grantId)
        : new provider.Grant({ accountId: session.accountId, clientId: params.client_id });
      const { missingOIDCScope, missingOIDCClaims, missingResourceScopes } = prompt.details;
      if (missingOIDCScope) grant.addOIDCScope(missingOIDCScope.join(' '));
      if (missingOIDCClaims) grant.addOIDCClaims(missingOIDCClaims);
      for (const [resource, scopes] of Object.entries(missingResourceScopes ?? {})) {
        grant.addResourceScope(resource, scopes.join(' '));
      }
      await provider.interactionFinished(
        req,
        res,
        { consent: { grantId: await grant.save() } },
        { mergeWithLastSubmission: true },
      );
    } catch (err) {
      next(err);
    }
  });

  router.post('/:uid/abort', async (req, res, next) => {
    try {
      await provider.interactionFinished(
        req,
        res,
        { error: 'access_denied', error_description: 'End-User aborted interaction' },
        { mergeWithLastSubmission: false },
      );
    } catch (err) {
      next(err);
    }
  });

  // An expired or unknown interaction (its cookie is gone): say so on a page of our own.
  router.use((err, _req, res, _next) => {
    const expired = err?.name === 'SessionNotFound';
    html(
      res,
      expired ? 400 : 500,
      page(
        'Provider error',
        `<h1>${expired ? 'This sign-in has expired' : 'Provider error'}</h1>
<p>${escapeHtml(expired ? 'Start again from the example app.' : String(err?.message ?? err))}</p><p><a href="/">Back to the example app</a></p>`,
      ),
    );
  });

  return router;
}
