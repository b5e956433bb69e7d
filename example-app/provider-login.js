/**
 * "Sign in with the new provider": the OAuth 2.0 authorization code flow with PKCE, by hand with fetch.
 * The access token (a JWT for the API audience) lands in the HttpOnly cookie `provider_at`, which is the
 * cookie the bridge is told to read (`provider.cookieName`).
 */
import { createHash, randomBytes } from 'node:crypto';
import { parse as parseCookies } from 'cookie';
import express from 'express';

export const ACCESS_TOKEN_COOKIE = 'provider_at';
const FLOW_COOKIE = 'provider_flow';
const FLOW_TTL_MS = 10 * 60 * 1000;

const random = () => randomBytes(32).toString('base64url');

/**
 * @param {{ issuer: string, audience: string, client: { id: string, secret: string, redirectUri: string, postLogoutRedirectUri: string } }} options
 */
export function providerLogin({ issuer, audience, client }) {
  const router = express.Router();
  /** state -> { verifier, expiresAt }: the PKCE verifier never leaves the server. */
  const pending = new Map();
  let discovery;
  const metadata = async () => {
    discovery ??= fetch(`${issuer}/.well-known/openid-configuration`).then((r) => r.json());
    return discovery;
  };
  const cookieOptions = { httpOnly: true, sameSite: 'lax', path: '/' };

  router.get('/auth/login', async (_req, res, next) => {
    try {
      const { authorization_endpoint: endpoint } = await metadata();
      const state = random();
      const verifier = random();
      for (const [key, flow] of pending) if (flow.expiresAt < Date.now()) pending.delete(key);
      pending.set(state, { verifier, expiresAt: Date.now() + FLOW_TTL_MS });
      const url = new URL(endpoint);
      url.search = new URLSearchParams({
        response_type: 'code',
        client_id: client.id,
        redirect_uri: client.redirectUri,
        scope: 'openid profile api:read',
        resource: audience,
        state,
        code_challenge: createHash('sha256').update(verifier).digest('base64url'),
        code_challenge_method: 'S256',
      }).toString();
      res.cookie(FLOW_COOKIE, state, { ...cookieOptions, maxAge: FLOW_TTL_MS });
      res.redirect(url.href);
    } catch (err) {
      next(err);
    }
  });

  router.get('/auth/callback', async (req, res, next) => {
    try {
      const { code, state, error } = req.query;
      const flow = typeof state === 'string' ? pending.get(state) : undefined;
      res.clearCookie(FLOW_COOKIE, cookieOptions);
      if (typeof state === 'string') pending.delete(state);
      // The state must be the one this browser started with (CSRF), and still pending.
      if (
        error ||
        !flow ||
        flow.expiresAt < Date.now() ||
        parseCookies(req.headers.cookie ?? '')[FLOW_COOKIE] !== state
      ) {
        return res.redirect(
          `/?notice=${error === 'access_denied' ? 'provider-cancelled' : 'provider-failed'}`,
        );
      }
      const { token_endpoint: tokenEndpoint } = await metadata();
      const response = await fetch(tokenEndpoint, {
        method: 'POST',
        headers: {
          'content-type': 'application/x-www-form-urlencoded',
          authorization: `Basic ${Buffer.from(`${client.id}:${client.secret}`).toString('base64')}`,
        },
        body: new URLSearchParams({
          grant_type: 'authorization_code',
          code: String(code),
          redirect_uri: client.redirectUri,
          code_verifier: flow.verifier,
          resource: audience,
        }),
      });
      const tokens = await response.json();
      if (!response.ok || typeof tokens.access_token !== 'string') {
        console.error('token endpoint refused the code:', tokens);
        return res.redirect('/?notice=provider-failed');
      }
      // No verification here on purpose: the bridge verifies the token on every API request.
      res.cookie(ACCESS_TOKEN_COOKIE, tokens.access_token, {
        ...cookieOptions,
        maxAge: (Number(tokens.expires_in) || 3600) * 1000,
      });
      res.redirect('/?notice=provider-signed-in');
    } catch (err) {
      next(err);
    }
  });

  // Forget the token here, then end the session at the provider too (it asks for confirmation).
  router.post('/auth/logout', async (_req, res, next) => {
    try {
      const { end_session_endpoint: endpoint } = await metadata();
      res.clearCookie(ACCESS_TOKEN_COOKIE, cookieOptions);
      const url = new URL(endpoint);
      url.search = new URLSearchParams({
        client_id: client.id,
        post_logout_redirect_uri: client.postLogoutRedirectUri,
      }).toString();
      res.redirect(303, url.href);
    } catch (err) {
      next(err);
    }
  });

  return router;
}
