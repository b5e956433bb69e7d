/**
 * The page a browser gets instead of the dashboard when access is refused, or when the figures cannot be had: a
 * short HTML page that says what to do, with the same status and headers as the JSON answer (401 with
 * `WWW-Authenticate`, 403, or 503 with `Retry-After`). Self-contained
 * like the dashboard (inline CSS, no script, no external URL) and served with the same CSP.
 */
import { DASHBOARD_CSS } from './dashboard-css.js';
import { html, SafeHtml } from './html-escape.js';

const PAGES = {
  401: {
    title: 'Sign in to see the migration dashboard',
    text: 'This page shows how many users still sign in the old way, so it is only shown to signed-in users the app allows. Sign in to this app, then reload this page.',
  },
  403: {
    title: 'You are signed in but not allowed to see this dashboard',
    text: 'Your account does not have access to the migration dashboard. Ask an administrator of this app for access, or sign in with an account that has it.',
  },
  503: {
    title: 'The migration figures are unavailable right now',
    text: 'The stats store did not answer in time, so this page cannot show the figures. Nothing is lost: requests are still being recorded. Reload this page in a few seconds.',
  },
} as const;

/** The page for a refused request (401: no user; 403: a user `authorize` refused) or a failed report (503). */
export function renderAccessDenied(status: 401 | 403 | 503): string {
  const { title, text } = PAGES[status];
  return html`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<title>${title}</title>
<style>${new SafeHtml(DASHBOARD_CSS)}</style>
</head>
<body>
<main>
<section aria-labelledby="denied-heading" id="access-denied" data-status="${status}">
<h1 id="denied-heading">${title}</h1>
<p>${text}</p>
</section>
</main>
</body>
</html>
`.value;
}
