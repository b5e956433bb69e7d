/** Public entry of the Redis stats store; the implementation lives in `./redis/`. */
export type { RedisSendCommand, RedisStatsOptions } from './redis/options.js';
export { redisStats } from './redis/store.js';
