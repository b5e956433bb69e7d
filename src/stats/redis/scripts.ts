/**
 * Lua sources of the Redis stats store (see `store.ts` for the key layout and the semantics).
 *
 * Both scripts declare one key (`<prefix>last:any`) so that cluster-aware clients route them to the right
 * node, and compute every other key from the prefix passed in `ARGV[1]`. On Redis Cluster the prefix must
 * therefore hold a hash tag (`{esb}:`) so that all keys share one slot.
 *
 * Numbers are passed to Redis through `int()` (`%d`), never as Lua numbers: Lua would print large
 * millisecond timestamps with 14 significant digits or in exponent notation.
 */
import { createHash } from 'node:crypto';

export interface RedisScript {
  source: string;
  /** SHA-1 of `source`, as `SCRIPT LOAD` would answer it (computed locally: no round trip). */
  sha: string;
}

function script(source: string): RedisScript {
  return { source, sha: createHash('sha1').update(source).digest('hex') };
}

/**
 * Records one batch, oldest event first.
 *
 * KEYS[1] `<prefix>last:any`.
 * ARGV: prefix, now (ms, recorder's clock), retentionMs, hourlyRetentionMs, maxUsers, then four per event:
 * time (ms), label (`<kind>:<outcome>`, or `pw:<result>` for a password migration decision), legacy user
 * digest or '', provider user digest or '' (both '' for password migration decisions).
 * Returns `{ events, evicted }`.
 */
export const RECORD_SCRIPT: RedisScript = script(`
local p = ARGV[1]
local now = tonumber(ARGV[2])
local ret = tonumber(ARGV[3])
local hret = tonumber(ARGV[4])
local maxUsers = tonumber(ARGV[5])
local HOUR = 3600000
local DAY = 86400000
local floor = math.floor

local function int(x) return string.format('%d', x) end

-- Absolute expiry (ms) per touched key, applied once at the end.
local expireAt = {}
local function keepUntil(key, at)
  local cur = expireAt[key]
  if cur == nil or at > cur then expireAt[key] = at end
end

-- Counter increments per bucket key and field, applied once at the end.
local incr = {}
local function bump(key, field)
  local fields = incr[key]
  if fields == nil then fields = {}; incr[key] = fields end
  fields[field] = (fields[field] or 0) + 1
end

-- Per-user state loaded once per batch, written back once at the end.
local users = {}
local order = {}
-- Bloom filter of evicted users (two bits per user out of 8 per maxUsers), so that a returning evicted
-- user, whose earlier first sightings are lost, flags the windows it is active in as approximate.
local bloomKey = p .. 'evicted:bloom'
local bloomBits = 65536
while bloomBits < maxUsers * 8 and bloomBits < 1073741824 do bloomBits = bloomBits * 2 end
local B64 = {}
local alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_'
for i = 1, 64 do B64[string.byte(alphabet, i)] = i - 1 end
local function bloomBitsOf(d)
  local a, b = 0, 0
  for i = 1, 5 do
    a = a * 64 + (B64[string.byte(d, i)] or 0)
    b = b * 64 + (B64[string.byte(d, i + 5)] or 0)
  end
  return a % bloomBits, b % bloomBits
end
local horizonKnown = nil
local function hasEvicted()
  if horizonKnown == nil then horizonKnown = redis.call('EXISTS', p .. 'evictedHorizon') == 1 end
  return horizonKnown
end

local function load(d)
  local u = users[d]
  if u == nil then
    local v = redis.call('HMGET', p .. 'u:' .. d, 'fl', 'll', 'fp', 'lp', 'r')
    u = { fl = tonumber(v[1]), ll = tonumber(v[2]), fp = tonumber(v[3]), lp = tonumber(v[4]), r = v[5] == '1' }
    if u.ll == nil and u.lp == nil and hasEvicted() then
      local x, y = bloomBitsOf(d)
      u.r = redis.call('GETBIT', bloomKey, x) == 1 and redis.call('GETBIT', bloomKey, y) == 1
    end
    u.fp0 = u.fp
    u.migrated0 = u.fl ~= nil and u.fp ~= nil and u.fl <= u.fp
    users[d] = u
    order[#order + 1] = d
  end
  return u
end

-- A sighting of user d of one kind at time t. The user counts once in a bucket when the bucket lies
-- after its last or before its first sighting of that kind (exact when a user's sightings arrive in
-- time order, which holds within a batch and for users served by one instance).
local function sight(d, t, kind, hIdx, dIdx, hKey, dKey, dExp)
  local u = load(d)
  local first, last
  if kind == 'legacy' then first, last = u.fl, u.ll else first, last = u.fp, u.lp end
  if last == nil or hIdx > floor(last / HOUR) or hIdx < floor(first / HOUR) then
    bump(hKey, 'users:' .. kind)
  end
  if last == nil or dIdx > floor(last / DAY) or dIdx < floor(first / DAY) then
    bump(dKey, 'users:' .. kind)
    local hll = dKey .. ':hll:' .. kind
    redis.call('PFADD', hll, d)
    keepUntil(hll, dExp)
  end
  if first == nil or t < first then first = t end
  if last == nil or t > last then last = t end
  if kind == 'legacy' then u.fl, u.ll = first, last else u.fp, u.lp = first, last end
end

local n = (#ARGV - 5) / 4
local lastLegacy = nil
for i = 0, n - 1 do
  local b = 6 + i * 4
  local t = tonumber(ARGV[b])
  local label = ARGV[b + 1]
  local ld = ARGV[b + 2]
  local pd = ARGV[b + 3]
  local hIdx = floor(t / HOUR)
  local dIdx = floor(t / DAY)
  local hKey = p .. 'h:' .. int(hIdx)
  local dKey = p .. 'd:' .. int(dIdx)
  local dExp = (dIdx + 1) * DAY + ret
  bump(hKey, label)
  bump(dKey, label)
  keepUntil(hKey, (hIdx + 1) * HOUR + hret)
  keepUntil(dKey, dExp)
  if ld ~= '' then
    sight(ld, t, 'legacy', hIdx, dIdx, hKey, dKey, dExp)
    if lastLegacy == nil or t > lastLegacy then lastLegacy = t end
  end
  if pd ~= '' then sight(pd, t, 'provider', hIdx, dIdx, hKey, dKey, dExp) end
end

for key, fields in pairs(incr) do
  for field, count in pairs(fields) do redis.call('HINCRBY', key, field, count) end
end

for _, d in ipairs(order) do
  local u = users[d]
  local key = p .. 'u:' .. d
  local fields = {}
  for _, f in ipairs({ 'fl', 'll', 'fp', 'lp' }) do
    if u[f] ~= nil then
      fields[#fields + 1] = f
      fields[#fields + 1] = int(u[f])
    end
  end
  if u.r then
    fields[#fields + 1] = 'r'
    fields[#fields + 1] = '1'
  end
  redis.call('HSET', key, unpack(fields))
  local seen = math.max(u.ll or 0, u.lp or 0)
  redis.call('PEXPIREAT', key, int(seen + ret))
  if u.r then redis.call('ZADD', p .. 'returning', 'GT', int(seen), d) end
  if u.ll ~= nil then redis.call('ZADD', p .. 'last:legacy', 'GT', int(u.ll), d) end
  if u.lp ~= nil then redis.call('ZADD', p .. 'last:provider', 'GT', int(u.lp), d) end
  redis.call('ZADD', p .. 'last:any', 'GT', int(seen), d)
  if u.fp == nil then
    redis.call('ZADD', p .. 'legacyOnly', 'GT', int(u.ll), d)
  elseif u.fp0 == nil then
    redis.call('ZREM', p .. 'legacyOnly', d)
  end
  if u.fl ~= nil and u.fp ~= nil and u.fl <= u.fp then
    redis.call('ZADD', p .. 'migrated', int(u.fp), d)
    if not u.migrated0 or u.fp ~= u.fp0 then
      local mDay = floor(u.fp / DAY)
      local hll = p .. 'd:' .. int(mDay) .. ':hll:migrated'
      redis.call('PFADD', hll, d)
      keepUntil(hll, (mDay + 1) * DAY + ret)
    end
  elseif u.migrated0 then
    redis.call('ZREM', p .. 'migrated', d)
  end
end

for key, at in pairs(expireAt) do redis.call('PEXPIREAT', key, int(at)) end

if lastLegacy ~= nil then
  local cur = tonumber(redis.call('GET', p .. 'lastLegacyAt'))
  if cur == nil or lastLegacy > cur then
    redis.call('SET', p .. 'lastLegacyAt', int(lastLegacy), 'PXAT', int(lastLegacy + ret))
  end
end

local zsets = { 'last:legacy', 'last:provider', 'last:any', 'migrated', 'legacyOnly', 'returning' }

-- Retention trim, at most once a minute.
local trimmedAt = tonumber(redis.call('GET', p .. 'trimmedAt'))
if trimmedAt == nil or now - trimmedAt >= 60000 then
  local cutoff = '(' .. int(now - ret)
  for _, z in ipairs(zsets) do redis.call('ZREMRANGEBYSCORE', p .. z, '-inf', cutoff) end
  redis.call('SET', p .. 'trimmedAt', int(now), 'PX', int(ret))
end

-- Eviction of the least recently seen users beyond maxUsers, at most 2000 per call so one script never
-- blocks Redis for long (a batch adds at most 1000 users, so the table still converges to maxUsers).
local evicted = 0
local total = redis.call('ZCARD', p .. 'last:any')
if total > maxUsers then
  local popped = redis.call('ZPOPMIN', p .. 'last:any', math.min(total - maxUsers, 2000))
  local horizon = tonumber(redis.call('GET', p .. 'evictedHorizon'))
  local members = {}
  for i = 1, #popped, 2 do
    members[#members + 1] = popped[i]
    local s = tonumber(popped[i + 1])
    if horizon == nil or s > horizon then horizon = s end
  end
  evicted = #members
  for i = 1, #members, 500 do
    local chunk = {}
    local keys = {}
    for j = i, math.min(i + 499, #members) do
      chunk[#chunk + 1] = members[j]
      keys[#keys + 1] = p .. 'u:' .. members[j]
    end
    redis.call('DEL', unpack(keys))
    for _, z in ipairs({ 'last:legacy', 'last:provider', 'migrated', 'legacyOnly', 'returning' }) do
      redis.call('ZREM', p .. z, unpack(chunk))
    end
  end
  for _, m in ipairs(members) do
    local x, y = bloomBitsOf(m)
    redis.call('SETBIT', bloomKey, x, 1)
    redis.call('SETBIT', bloomKey, y, 1)
  end
  redis.call('SET', p .. 'evictedHorizon', int(horizon), 'PXAT', int(horizon + ret))
  redis.call('PEXPIREAT', bloomKey, int(horizon + ret))
end

for _, z in ipairs(zsets) do redis.call('PEXPIRE', p .. z, int(ret)) end

return { n, evicted }
`);

/**
 * Reads everything a snapshot needs in one round trip, as a JSON string (client-agnostic: no RESP2/RESP3
 * or Buffer/string differences between clients).
 *
 * KEYS[1] `<prefix>last:any`.
 * ARGV: prefix, now (unused, for logs), rangeCount, then three per range (start ms, first day index, last day index of the
 * HyperLogLogs to merge), then hourFrom, hourTo, dayFrom, dayTo (bucket hashes to read; empty when from > to).
 * Returns `{ lastLegacyAt, horizon, counts: [[legacy, provider, any, migrated, legacyOnly, returning]...],
 * hll: [[legacy, provider, any, migrated] or 0 ...], hours: [[field, value...]...], days: [...] }`,
 * with the HyperLogLog estimates only for ranges that start at or before the eviction horizon.
 */
export const QUERY_SCRIPT: RedisScript = script(`
local p = ARGV[1]
local rangeCount = tonumber(ARGV[3])
local horizon = redis.call('GET', p .. 'evictedHorizon')
local horizonMs = tonumber(horizon)
local out = {
  lastLegacyAt = redis.call('GET', p .. 'lastLegacyAt') or '',
  horizon = horizon or '',
  counts = {},
  hll = {},
  hours = {},
  days = {},
}
for r = 0, rangeCount - 1 do
  local b = 4 + r * 3
  local start = ARGV[b]
  local counts = {}
  for _, z in ipairs({ 'last:legacy', 'last:provider', 'last:any', 'migrated', 'legacyOnly', 'returning' }) do
    counts[#counts + 1] = redis.call('ZCOUNT', p .. z, start, '+inf')
  end
  out.counts[r + 1] = counts
  if horizonMs ~= nil and tonumber(start) <= horizonMs then
    local l, pr, m = {}, {}, {}
    for d = tonumber(ARGV[b + 1]), tonumber(ARGV[b + 2]) do
      local key = p .. 'd:' .. string.format('%d', d)
      l[#l + 1] = key .. ':hll:legacy'
      pr[#pr + 1] = key .. ':hll:provider'
      m[#m + 1] = key .. ':hll:migrated'
    end
    local both = {}
    for _, k in ipairs(l) do both[#both + 1] = k end
    for _, k in ipairs(pr) do both[#both + 1] = k end
    if #l == 0 then
      out.hll[r + 1] = { 0, 0, 0, 0 }
    else
      out.hll[r + 1] = {
        redis.call('PFCOUNT', unpack(l)),
        redis.call('PFCOUNT', unpack(pr)),
        redis.call('PFCOUNT', unpack(both)),
        redis.call('PFCOUNT', unpack(m)),
      }
    end
  else
    out.hll[r + 1] = 0
  end
end
local b = 4 + rangeCount * 3
for h = tonumber(ARGV[b]), tonumber(ARGV[b + 1]) do
  out.hours[#out.hours + 1] = redis.call('HGETALL', p .. 'h:' .. string.format('%d', h))
end
for d = tonumber(ARGV[b + 2]), tonumber(ARGV[b + 3]) do
  out.days[#out.days + 1] = redis.call('HGETALL', p .. 'd:' .. string.format('%d', d))
end
return cjson.encode(out)
`);
