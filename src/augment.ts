/**
 * Opt-in typing of `req.auth` for Express apps:
 *
 *   import 'express-session-bridge/augment';
 *
 * It is a separate entry point so that apps which already declare `req.auth` (express-jwt,
 * express-oauth2-jwt-bearer) keep their own declaration; they can use `BridgeRequest` instead.
 */
import type { BridgeAuth } from './types.js';

declare global {
  namespace Express {
    interface Request {
      auth?: BridgeAuth;
    }
  }
}
