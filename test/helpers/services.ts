/**
 * Real PostgreSQL and MariaDB for tests, like test/helpers/redis.ts does for Redis.
 *
 * PostgreSQL is `TEST_PG_URL` (default postgres://postgres@127.0.0.1:5432/test, trust auth); MariaDB is
 * `TEST_MYSQL_URL` (default mysql://root@127.0.0.1:3306/test, empty password). When a server is unreachable the
 * suites that need it skip with a message saying so; with `CI=true` or `REQUIRE_SERVICES=1` they fail instead
 * (.ci/run starts both servers).
 */
import { createConnection } from 'mysql2/promise';
import pg from 'pg';

export const PG_URL = process.env.TEST_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
export const MYSQL_URL = process.env.TEST_MYSQL_URL ?? 'mysql://root@127.0.0.1:3306/test';
const REQUIRED = process.env.CI === 'true' || process.env.REQUIRE_SERVICES === '1';

function reasonOf(error: unknown): string {
  return error instanceof Error ? error.message || error.name : String(error);
}

/**
 * Null when `probe` succeeds; else logs why and returns the reason. Throws instead when the services are
 * required (`CI=true` or `REQUIRE_SERVICES=1`).
 */
async function available(name: string, url: string, probe: () => Promise<void>): Promise<string | null> {
  try {
    await probe();
    return null;
  } catch (error) {
    const message = `${name} is unreachable at ${url} (${reasonOf(error)})`;
    if (REQUIRED) {
      throw new Error(`${message}. CI=true or REQUIRE_SERVICES=1 makes this a failure: start the server.`);
    }
    console.warn(`${message}. Skipping its suites (REQUIRE_SERVICES=1 makes this a failure).`);
    return message;
  }
}

/** Null when PostgreSQL at `PG_URL` answers `SELECT 1` within two seconds, else why not. */
export function postgresUnavailable(): Promise<string | null> {
  return available('PostgreSQL', PG_URL, async () => {
    const client = new pg.Client({ connectionString: PG_URL, connectionTimeoutMillis: 2000 });
    try {
      await client.connect();
      await client.query('SELECT 1');
    } finally {
      await client.end().catch(() => {});
    }
  });
}

/** Null when MariaDB (or MySQL) at `MYSQL_URL` answers `SELECT 1` within two seconds, else why not. */
export function mariadbUnavailable(): Promise<string | null> {
  return available('MariaDB', MYSQL_URL, async () => {
    const connection = await createConnection({ uri: MYSQL_URL, connectTimeout: 2000 });
    try {
      await connection.query('SELECT 1');
    } finally {
      await connection.end().catch(() => {});
    }
  });
}
