/**
 * Lua sources of the fleet: shared cutover state, registry, drain lock. Times come from Redis (`TIME`), so
 * instances with skewed clocks agree on ages and expiries. Numbers that must round-trip exactly (the percent)
 * travel as strings inside the JSON.
 */
import { fleetScript } from './run-script.js';

const NOW = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
`;

/**
 * A configure: merges the given fields onto the current state (seeded from ARGV[6..7] when Redis has none),
 * bumps the version, keeps the change in the history (the last ARGV[5]). A call that changes nothing is not
 * recorded. KEYS: state, history. ARGV: mode or '', percent or '', instance, by or '', history limit,
 * seed mode, seed percent, key TTL (ms). Returns the state JSON.
 */
export const CONFIGURE_SCRIPT = fleetScript(`${NOW}
local cur = redis.call('GET', KEYS[1])
local s
if cur then s = cjson.decode(cur) else s = { v = 0, mode = ARGV[6], percent = ARGV[7] } end
local mode = s.mode
local percent = s.percent
if ARGV[1] ~= '' then mode = ARGV[1] end
if ARGV[2] ~= '' then percent = ARGV[2] end
if cur and mode == s.mode and percent == s.percent then return cur end
local n = { v = s.v + 1, mode = mode, percent = percent, at = string.format('%d', now), instance = ARGV[3] }
if ARGV[4] ~= '' then n.by = ARGV[4] end
local json = cjson.encode(n)
redis.call('SET', KEYS[1], json)
redis.call('LPUSH', KEYS[2], json)
redis.call('LTRIM', KEYS[2], 0, tonumber(ARGV[5]) - 1)
redis.call('PEXPIRE', KEYS[1], tonumber(ARGV[8]))
redis.call('PEXPIRE', KEYS[2], tonumber(ARGV[8]))
return json
`);

/**
 * One sync tick: seeds the state when Redis has none (first start, or Redis lost its data: from this instance's
 * state, version ARGV[4] + 1), writes the heartbeat, prunes instances silent for ARGV[7] ms (at most 100 per
 * tick) and beyond ARGV[8] entries. KEYS: state, history, instances, seen. ARGV: instance, heartbeat JSON
 * (without `at`), seed mode, seed version, seed percent, seed note, prune age, max instances, history limit,
 * key TTL (ms: every sync pushes the expiry of the four keys back). Returns `{ state JSON, now }`.
 */
export const SYNC_SCRIPT = fleetScript(`${NOW}
local cur = redis.call('GET', KEYS[1])
if not cur then
  local n = { v = tonumber(ARGV[4]) + 1, mode = ARGV[3], percent = ARGV[5], at = string.format('%d', now),
    instance = ARGV[1], by = ARGV[6] }
  cur = cjson.encode(n)
  redis.call('SET', KEYS[1], cur)
  redis.call('LPUSH', KEYS[2], cur)
  redis.call('LTRIM', KEYS[2], 0, tonumber(ARGV[9]) - 1)
end
local hb = cjson.decode(ARGV[2])
hb.at = string.format('%d', now)
redis.call('HSET', KEYS[3], ARGV[1], cjson.encode(hb))
redis.call('ZADD', KEYS[4], now, ARGV[1])
local old = redis.call('ZRANGEBYSCORE', KEYS[4], '-inf', now - tonumber(ARGV[7]), 'LIMIT', 0, 100)
local over = redis.call('ZCARD', KEYS[4]) - tonumber(ARGV[8])
if over > 0 then
  for _, id in ipairs(redis.call('ZRANGE', KEYS[4], 0, over - 1)) do table.insert(old, id) end
end
for _, id in ipairs(old) do
  redis.call('HDEL', KEYS[3], id)
  redis.call('ZREM', KEYS[4], id)
end
for i = 1, 4 do redis.call('PEXPIRE', KEYS[i], tonumber(ARGV[10])) end
return { cur, string.format('%d', now) }
`);

/**
 * What a report shows of the fleet. KEYS: state, history, instances. ARGV: history entries to read.
 * Returns `{ state JSON or false, history (newest first), instances (id, JSON, ...), now }`.
 */
export const READ_SCRIPT = fleetScript(`${NOW}
return { redis.call('GET', KEYS[1]), redis.call('LRANGE', KEYS[2], 0, tonumber(ARGV[1]) - 1),
  redis.call('HGETALL', KEYS[3]), string.format('%d', now) }
`);

/**
 * Takes the drain lock when a scan is due: the last shared scan ended at least ARGV[3] ms ago (or there is
 * none) and nobody holds the lock. KEYS: lock, last. ARGV: token, lease ms, min ms between scans.
 * Returns 1 when taken, 0 when not due, -1 when another instance holds it.
 */
export const DRAIN_CLAIM_SCRIPT = fleetScript(`${NOW}
local done = tonumber(redis.call('HGET', KEYS[2], 'doneAt') or '0')
if now - done < tonumber(ARGV[3]) then return 0 end
if redis.call('SET', KEYS[1], ARGV[1], 'NX', 'PX', tonumber(ARGV[2])) then return 1 end
return -1
`);

/** Extends the lease while the owner scans. KEYS: lock. ARGV: token, lease ms. Returns 1, or 0 when lost. */
export const DRAIN_RENEW_SCRIPT = fleetScript(`
if redis.call('GET', KEYS[1]) == ARGV[1] then
  redis.call('PEXPIRE', KEYS[1], tonumber(ARGV[2]))
  return 1
end
return 0
`);

/**
 * Stores a scan for every instance and releases the lock if (and only if) ARGV[1] still holds it.
 * KEYS: lock, last. ARGV: token ('' for a scan made without the lock), result JSON, kind ('1' a scan, '0' a
 * failure: `doneAt` is kept, so another instance retries at its next tick; '2' nothing, release only), key TTL (ms).
 */
export const DRAIN_PUBLISH_SCRIPT = fleetScript(`${NOW}
if ARGV[3] == '1' then
  redis.call('HSET', KEYS[2], 'doneAt', string.format('%d', now), 'json', ARGV[2])
  redis.call('HDEL', KEYS[2], 'error')
elseif ARGV[3] == '0' then
  redis.call('HSET', KEYS[2], 'error', ARGV[2])
end
if redis.call('EXISTS', KEYS[2]) == 1 then redis.call('PEXPIRE', KEYS[2], tonumber(ARGV[4])) end
if ARGV[1] ~= '' and redis.call('GET', KEYS[1]) == ARGV[1] then redis.call('DEL', KEYS[1]) end
return string.format('%d', now)
`);

/** The last shared scan. KEYS: last. Returns `{ json or false, error or false }`. */
export const DRAIN_READ_SCRIPT = fleetScript(`
return redis.call('HMGET', KEYS[1], 'json', 'error')
`);

/** A closed instance leaves the registry (a killed one is listed as gone instead). KEYS: instances, seen. ARGV: id. */
export const LEAVE_SCRIPT = fleetScript(`
redis.call('HDEL', KEYS[1], ARGV[1])
redis.call('ZREM', KEYS[2], ARGV[1])
return 1
`);
