/** The home page: server-rendered HTML, no CDN, readable on a phone. */
import { providerAccounts, users } from './users.js';

const html = (value) =>
  String(value).replace(
    /[&<>"']/g,
    (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c],
  );

const NOTICES = {
  'legacy-signed-in': 'Signed in with the old login.',
  'legacy-bad-login': 'Old login: wrong username or password.',
  'legacy-signed-out': 'Signed out of the old login (the legacy session was destroyed).',
  'provider-signed-in':
    'Back from the new provider: its access token is in the HttpOnly cookie provider_at. "Who am I?" says whether this app knows the account.',
  'provider-cancelled': 'Provider sign-in was cancelled.',
  'provider-failed': 'Provider sign-in failed; try again.',
};

/** `<code>alice</code>, <code>bob</code>, <code>carol</code> or <code>dave</code>`: every provider account. */
function accountList() {
  const names = Object.keys(providerAccounts).map((name) => `<code>${html(name)}</code>`);
  return names.length > 1 ? `${names.slice(0, -1).join(', ')} or ${names.at(-1)}` : names.join('');
}

/**
 * @param {{ baseUrl: string, mode: string, legacyUser?: { id: string, name: string },
 *   providerToken?: string, notice?: string }} state
 */
export function homePage({ baseUrl, mode, legacyUser, providerToken, notice }) {
  const noticeText = NOTICES[notice];
  const userRows = Object.entries(users)
    .map(
      ([id, u]) => `<tr><td><code>${id}</code></td><td>${html(u.name)}</td>
<td>${u.legacyPassword ? `<code>${html(u.name)}</code> / <code>${html(u.legacyPassword)}</code>` : '—'}</td>
<td>${providerAccounts[u.name] ? `<code>${html(u.name)}</code>` : '—'}</td>
<td>${u.admin ? 'admin: may open the dashboard' : html(u.note ?? '')}</td></tr>`,
    )
    .join('');

  const legacyCard = legacyUser
    ? `<p>Signed in as <strong>${html(legacyUser.name)}</strong> (<code>${legacyUser.id}</code>) with an
express-session cookie <code>connect.sid</code>.</p>
<form method="post" action="/logout"><button type="submit">Log out of the old login</button></form>`
    : `<form method="post" action="/login" class="login">
<label>Username <input name="username" autocomplete="username" required value="alice"></label>
<label>Password <input name="password" type="password" autocomplete="current-password" required></label>
<button type="submit">Sign in (old login)</button></form>`;

  const providerCard = providerToken
    ? `<p>The browser holds a provider access token in the HttpOnly cookie <code>provider_at</code>.</p>
<form method="post" action="/auth/logout"><button type="submit">Log out of the new provider</button></form>
<details><summary>Use the same token the Bearer way (demo only)</summary>
<p>A real app never shows its token; here it lets you try the <code>Authorization</code> header:</p>
<pre>curl -H "Authorization: Bearer ${html(providerToken)}" \\
  ${baseUrl}/api/me</pre></details>`
    : `<p><a class="button" href="/auth/login">Sign in with the new provider</a></p>
<p class="hint">Demo sign-in screen of a local OpenID provider: type ${accountList()}, any password, then allow
access (<code>dave</code> is linked to this app at his first provider sign-in while his old login is signed in).
The app receives a JWT access token for
<code>${baseUrl}/api</code> (authorization code + PKCE).</p>`;

  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>express-session-bridge example</title>
<style>
:root { color-scheme: light dark; --accent: #0b5cad; --muted: #666; --card: #f6f8fa; --line: #d0d7de; }
@media (prefers-color-scheme: dark) { :root { --accent: #58a6ff; --muted: #9ba3ad; --card: #161b22; --line: #30363d; } }
* { box-sizing: border-box; }
body { font: 16px/1.5 system-ui, -apple-system, "Segoe UI", sans-serif; margin: 0 auto; max-width: 48rem; padding: 1rem; }
h1 { font-size: 1.4rem; margin: .5rem 0; } h2 { font-size: 1.1rem; margin: 0 0 .5rem; }
section { background: var(--card); border: 1px solid var(--line); border-radius: 8px; padding: 1rem; margin: 1rem 0; }
.grid { display: grid; gap: 0 1rem; grid-template-columns: repeat(auto-fit, minmax(18rem, 1fr)); }
label { display: block; margin: .25rem 0; } input { font: inherit; width: 100%; padding: .5rem; margin-top: .125rem; }
button, a.button { font: inherit; display: inline-block; padding: .55rem 1rem; border-radius: 6px; border: 1px solid var(--accent);
  background: var(--accent); color: #fff; text-decoration: none; cursor: pointer; margin-top: .5rem; }
form:not(.login) button { background: transparent; color: var(--accent); }
pre { overflow-x: auto; background: rgba(127,127,127,.12); padding: .75rem; border-radius: 6px; font-size: .85rem; }
table { border-collapse: collapse; width: 100%; font-size: .9rem; } td, th { border-bottom: 1px solid var(--line); padding: .35rem; text-align: left; vertical-align: top; }
.scroll { overflow-x: auto; } .hint, small { color: var(--muted); font-size: .9rem; }
.notice { border-left: 4px solid var(--accent); padding: .5rem .75rem; background: var(--card); }
.big { font-size: 1.2rem; margin: .25rem 0; } .pill { display: inline-block; padding: 0 .5rem; border-radius: 1rem; border: 1px solid var(--line); }
.kind-legacy { background: #fff3cd; color: #664d03; } .kind-provider { background: #d1e7dd; color: #0f5132; }
</style>
</head>
<body>
<header>
<h1>An existing backend in the middle of a login migration</h1>
<p class="hint">Old login: express-session + username/password. New login: a local OpenID provider.
<a href="https://www.npmjs.com/package/express-session-bridge">express-session-bridge</a> turns either into one
<code>req.auth</code>. Bridge mode: <strong id="mode">${html(mode)}</strong>.</p>
</header>
${noticeText ? `<p class="notice" role="status">${html(noticeText)}</p>` : ''}

<section aria-labelledby="me-title">
<h2 id="me-title">Who am I? <small>GET /api/me</small></h2>
<div id="me" aria-live="polite"><p>Loading…</p></div>
<button type="button" id="refresh">Ask again</button>
</section>

<div class="grid">
<section aria-labelledby="legacy-title"><h2 id="legacy-title">Old login</h2>${legacyCard}</section>
<section aria-labelledby="provider-title"><h2 id="provider-title">New provider</h2>${providerCard}</section>
</div>

<section aria-labelledby="dash-title">
<h2 id="dash-title">Migration dashboard</h2>
<p><a href="/admin/migration">/admin/migration</a>: who still uses the old login, and when it can go.
Only <strong>alice</strong> (<code>u_1001</code>) is admin: sign in as alice, either way.</p>
</section>

<section aria-labelledby="users-title">
<h2 id="users-title">Demo users</h2>
<div class="scroll"><table>
<thead><tr><th>User id</th><th>Name</th><th>Old login</th><th>Provider login</th><th></th></tr></thead>
<tbody>${userRows}</tbody></table></div>
<p class="hint">Provider accounts are linked to the backend's user ids by a small table
(<code>provider.userId</code>): the provider's <code>sub</code> <code>alice</code> becomes <code>u_1001</code>.
Signed in as bob the old way and as alice at the provider? The bridge refuses the request (400, conflict).</p>
</section>

<section aria-labelledby="curl-title">
<h2 id="curl-title">Try it with curl</h2>
<pre># old login: a cookie jar holds connect.sid
curl -c jar.txt -d username=alice -d password=alice ${baseUrl}/login
curl -b jar.txt ${baseUrl}/api/me
curl -b jar.txt ${baseUrl}/admin/migration

# new provider, the Bearer way (your token: "New provider" box)
curl -H "Authorization: Bearer $TOKEN" ${baseUrl}/api/me

# nobody: 401 with WWW-Authenticate
curl -i ${baseUrl}/api/me</pre>
</section>

<script>
const box = document.getElementById('me');
const esc = (s) => String(s).replace(/[&<>"']/g, (c) => '&#' + c.charCodeAt(0) + ';');
// Silent migration: a response to a legacy session carries Session-Bridge-Upgrade: provider; one POST to the
// upgrade endpoint exchanges it for a provider session (an HttpOnly cookie), with no password prompt.
let upgradeTried = false;
async function upgradeSilently() {
  upgradeTried = true;
  try {
    const res = await fetch('/auth/upgrade', { method: 'POST', credentials: 'same-origin' });
    return res.ok && (await res.json()).upgraded === true;
  } catch { return false; }
}
async function whoAmI() {
  box.innerHTML = '<p>Loading…</p>';
  let status = 0, body;
  try {
    const res = await fetch('/api/me', { credentials: 'same-origin', headers: { accept: 'application/json' } });
    status = res.status;
    body = await res.json().catch(() => null);
    if (res.headers.get('Session-Bridge-Upgrade') === 'provider' && !upgradeTried && (await upgradeSilently())) {
      return whoAmI();
    }
  } catch (err) { body = { error: String(err) }; }
  let summary;
  if (status === 200 && body && body.userId) {
    summary = '<p class="big" data-testid="who">You are <strong>' + esc(body.name || body.userId) + '</strong> (<code>' +
      esc(body.userId) + '</code>) through a <span class="pill kind-' + esc(body.kind) + '" data-testid="kind">' +
      esc(body.kind) + '</span> session.</p><p>Credentials presented: <strong data-testid="presented">' +
      esc(body.presented.join(' + ')) + '</strong>' +
      (body.subject ? '. Provider subject <code>' + esc(body.subject) + '</code> is linked to <code>' + esc(body.userId) + '</code>.' : '.') + '</p>';
  } else if (status === 200) {
    summary = '<p class="big" data-testid="who">Observe mode: the bridge only measures and never sets req.auth.</p>';
  } else if (status === 401 && body && body.code === 'ERR_BRIDGE_IDENTITY_UNLINKED') {
    summary = '<p class="big" data-testid="who">Not signed in to this app: the new provider knows you, but your provider account is not linked to a user here yet. Sign in with the old login too, once, to link it.</p>';
  } else if (status === 401 && body && body.hint === 'provider_login_required') {
    summary = '<p class="big" data-testid="who">Your old session is no longer accepted: sign in with the new provider.</p>';
  } else if (status === 401) {
    summary = '<p class="big" data-testid="who">Not signed in.</p>';
  } else if (status === 400) {
    summary = '<p class="big" data-testid="who">Refused: the old session and the provider token name different users.</p>';
  } else {
    summary = '<p class="big" data-testid="who">Unexpected answer (' + status + ').</p>';
  }
  box.innerHTML = summary + '<pre data-testid="me-json">HTTP ' + status + '\\n' + esc(JSON.stringify(body, null, 2)) + '</pre>';
}
document.getElementById('refresh').addEventListener('click', whoAmI);
whoAmI();
</script>
</body>
</html>`;
}
