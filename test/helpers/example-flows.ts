/**
 * The example app's two sign-ins, driven over HTTP the way a browser does them (cookie jar, manual redirects,
 * the local OpenID provider's sign-in and consent forms, `provider-screens.js`). Nothing leaves 127.0.0.1.
 */

/** Cookies by name, as one browser on one host keeps them (paths are ignored: the example uses `/`). */
export class CookieJar {
  readonly #cookies = new Map<string, string>();

  store(response: Response): void {
    for (const line of response.headers.getSetCookie()) {
      const [pair = '', ...attributes] = line.split(';');
      const eq = pair.indexOf('=');
      if (eq < 1) continue;
      const name = pair.slice(0, eq).trim();
      const expired = attributes.some((a) => {
        const [key = '', value = ''] = a.split('=').map((s) => s.trim());
        return (
          (key.toLowerCase() === 'max-age' && Number(value) <= 0) ||
          (key.toLowerCase() === 'expires' && Date.parse(value) <= Date.now())
        );
      });
      if (expired) this.#cookies.delete(name);
      else this.#cookies.set(name, pair.slice(eq + 1).trim());
    }
  }

  get(name: string): string | undefined {
    return this.#cookies.get(name);
  }

  set(name: string, value: string): void {
    this.#cookies.set(name, value);
  }

  header(): string {
    return [...this.#cookies].map(([n, v]) => `${n}=${v}`).join('; ');
  }
}

async function browse(base: string, jar: CookieJar, path: string, init: RequestInit = {}): Promise<Response> {
  const headers = new Headers(init.headers);
  const cookie = jar.header();
  if (cookie) headers.set('cookie', cookie);
  const res = await fetch(new URL(path, base), { ...init, headers, redirect: 'manual' });
  jar.store(res);
  return res;
}

function localPath(base: string, location: string): string {
  const url = new URL(location, base);
  if (url.origin !== new URL(base).origin) throw new Error(`refusing to leave the example app: ${location}`);
  return `${url.pathname}${url.search}`;
}

/** Signs in with the legacy form; the `connect.sid` cookie lands in `jar`. */
export async function legacySignIn(
  base: string,
  jar: CookieJar,
  username: string,
  password: string,
): Promise<void> {
  const res = await browse(base, jar, '/login', {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ username, password }).toString(),
  });
  if (res.status !== 303 || !jar.get('connect.sid')) throw new Error(`legacy sign-in failed: ${res.status}`);
}

/**
 * "Sign in with the new provider": /auth/login, the provider's login screen (any password), its consent
 * screen, back to /auth/callback, which stores the access token in the `provider_at` cookie of `jar`.
 */
export async function providerSignIn(base: string, jar: CookieJar, account: string): Promise<string> {
  let path = '/auth/login';
  let init: RequestInit = {};
  for (let hop = 0; hop < 20; hop++) {
    const res = await browse(base, jar, path, init);
    init = {};
    if (res.status >= 300 && res.status < 400) {
      path = localPath(base, res.headers.get('location') ?? '/');
      continue;
    }
    const body = await res.text();
    if (res.status !== 200 || !path.startsWith('/oidc/interaction/')) break;
    const action = /<form[^>]*action="([^"]+)"/.exec(body)?.[1]?.replaceAll('&amp;', '&');
    const prompt = /name="prompt" value="([a-z]+)"/.exec(body)?.[1];
    if (!action || !prompt) throw new Error(`no form on the provider's ${path}`);
    const form: Record<string, string> =
      prompt === 'login' ? { prompt, login: account, password: 'any-password' } : { prompt };
    path = localPath(base, action);
    init = {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams(form).toString(),
    };
  }
  const token = jar.get('provider_at');
  if (!token) throw new Error(`provider sign-in as ${account} ended at ${path} without a token`);
  return token;
}
