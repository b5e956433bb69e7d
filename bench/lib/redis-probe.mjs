// Is the shared Redis (REDIS_URL, default redis://127.0.0.1:6379) reachable? Same rule as the test suite: the
// Redis cases are skipped, with the reason, when it is not, unless REQUIRE_REDIS=1 makes that a failure.
import { createClient } from 'redis';

export const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';

/** `null` when Redis at `url` answers PING within a second, else why not. */
export async function probeRedis(url = REDIS_URL) {
  const client = createClient({ url, socket: { connectTimeout: 1000, reconnectStrategy: false } });
  client.on('error', () => {});
  try {
    await client.connect();
    await client.ping();
    return null;
  } catch (error) {
    return error instanceof Error ? error.message || error.name : String(error);
  } finally {
    if (client.isOpen) client.destroy();
  }
}
