/**
 * An app serving the stats endpoint from a fixed report: the real bridge resolves `req.auth` (a legacy
 * login read by `legacy.resolve` from the `x-test-user` header, as an app with a non-express-session login
 * would configure it), then `createStatsHandler` answers `GET /admin/migration`.
 */
import type { ErrorRequestHandler, Express } from 'express';
import { sessionBridge } from '../../src/index.js';
import type { ExpressFactory } from './express-versions.js';
import { createStatsHandler, type StatsHandlerSources } from './internals.js';
import {
  localCountsFixture,
  localPasswordMigrationsFixture,
  makeReportFixture,
  recorderFixture,
} from './report-fixture.js';

export const ADMIN_USER = 'admin-1';
export const STATS_PATH = '/admin/migration';

export function adminOnly(req: { auth?: { userId: string } }): boolean {
  return req.auth?.userId === ADMIN_USER;
}

export function buildStatsApp(express: ExpressFactory, sources: Partial<StatsHandlerSources> = {}): Express {
  const bridge = sessionBridge({
    stats: false,
    legacy: {
      resolve: (req) => {
        const user = req.headers['x-test-user'];
        return typeof user === 'string' ? { userId: user } : null;
      },
    },
  });
  const handler = createStatsHandler({
    ...(sources.public ? {} : { authorize: adminOnly }),
    getReport: async () => makeReportFixture(),
    local: localCountsFixture,
    localPasswordMigrations: localPasswordMigrationsFixture,
    recorder: () => recorderFixture(),
    ...sources,
  });
  const app = express();
  app.use(bridge);
  app.get(STATS_PATH, handler);
  // Anything reaching the error handler is a bug of the stats handler: make it visible as 500.
  const fallback: ErrorRequestHandler = (err: unknown, _req, res, _next) => {
    res.status(500).json({ unexpected: true, message: String(err) });
  };
  app.use(fallback);
  return app;
}
