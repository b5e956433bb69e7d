// Types for importing the example app from TypeScript (the end-to-end test). The app itself is plain JavaScript.
import type { Server } from 'node:http';
import type { Express } from 'express';

export type ExampleMode = 'observe' | 'bridge' | 'provider-only';

export interface StartOptions {
  /** Port to listen on; 0 picks a free one. Default: env PORT, else 3000. */
  port?: number;
  /** Interface to bind. Default: env HOST, else 127.0.0.1. */
  host?: string;
  /** Bridge mode. Default: env BRIDGE_MODE, else 'bridge'. */
  mode?: ExampleMode;
  /** A cutover ramp. Default: env BRIDGE_CUTOVER_PERCENT (with the default key), else none. */
  cutover?: { percent: number; key?: string };
  /** Silent migration (the bridge's `upgrade` option and the provider's token-exchange grant). Default false; `npm start` turns it on. */
  silentMigration?: boolean;
}

export interface RunningExample {
  /** Base URL, e.g. http://localhost:3000 (the provider's issuer is `${url}/oidc`). */
  url: string;
  server: Server;
  close(): Promise<void>;
}

export function start(options?: StartOptions): Promise<RunningExample>;

export function createApp(options: {
  baseUrl: string;
  mode?: ExampleMode;
  sessionSecret?: string;
  cutover?: { percent: number; key?: string };
  silentMigration?: boolean;
}): {
  app: Express;
  bridge: unknown;
  provider: unknown;
};
