/**
 * Lua scripts of the Redis lease store. Each runs atomically in one round trip and touches only the keys of one
 * pool, all named `<prefix>lp:{<poolId>}:<part>` so they share a hash slot (Redis Cluster).
 *
 * KEYS (always in this order):
 *   1 nums     hash   e164 -> tracking number id (every live number of the pool: active and paused)
 *   2 paused   set    e164 of paused numbers (keep their holder, never newly leased)
 *   3 free     zset   e164 -> idle since (ms): the release, or the last heartbeat of a lapsed or reclaimed lease; leasable and unheld; new numbers score 0 so they go first
 *   4 busy     zset   e164 -> lease expiry (ms) = last seen + active window + hold; same order as last seen
 *   5 holders  hash   e164 -> JSON {l lease id, s session, v visitor, n number id, a leased at, t last seen, x expiry, r reclaimed from}
 *   6 sess     hash   session id -> e164 it holds
 *   7 lastv    hash   e164 -> visitor of its last holder (sticky check: "nobody else took it since")
 *   8 vnum     hash   visitor -> e164 it last held; bounded by the pool size (dropped when someone else takes it)
 *   9 log      stream every lease and release, as a complete history row, appended atomically with the change:
 *              ev ('lease'|'release'), lease id, account, pool, number id, e164, session, visitor, leased at, reclaimed
 *              from, and for a release: released at, reason (values by position, no field names)
 *
 * Holding caps (`redis-hold-limits.ts` keys, same `{<poolId>}` hash tag, so the same slot): the lease checks and
 * counts them in its own step and the heartbeat extends them, so a visit costs one round trip per pool.
 *
 * Common ARGV: 1 now (ms), 2 account id, 3 pool id, 4 active window (ms), 5 hold (ms).
 */

/** How long a pool sync's staging of wanted numbers outlives its last chunk (a sync that died is cleaned up). */
export const SYNC_STAGING_TTL_MS = 10 * 60_000;

const COMMON = `
local nums, paused, free, busy, holders, sess, lastv, vnum, log = KEYS[1], KEYS[2], KEYS[3], KEYS[4], KEYS[5], KEYS[6], KEYS[7], KEYS[8], KEYS[9]
local now, acc, pool = tonumber(ARGV[1]), ARGV[2], ARGV[3]
local active, hold = tonumber(ARGV[4]), tonumber(ARGV[5])

-- A history entry is its values in a fixed order, without field names (\`lease-history-flusher.ts\` reads them by
-- position): the named form sent twice as many strings through XADD and back through XREADGROUP.
local function emit(ev, e164, h, at, why)
  if ev == 'lease' then
    redis.call('XADD', log, '*', ev, h.l, acc, pool, h.n, e164, h.s, h.v, string.format('%d', h.a), h.r)
  else
    redis.call('XADD', log, '*', ev, h.l, acc, pool, h.n, e164, h.s, h.v, string.format('%d', h.a), h.r,
      string.format('%d', at), why)
  end
end

local function holder(e164)
  local raw = redis.call('HGET', holders, e164)
  if not raw then return nil end
  return cjson.decode(raw)
end

local function close(e164, h, at, why)
  if at < h.a then at = h.a end
  redis.call('HDEL', holders, e164)
  redis.call('ZREM', busy, e164)
  if redis.call('HGET', sess, h.s) == e164 then redis.call('HDEL', sess, h.s) end
  if h.v ~= '' then
    redis.call('HSET', lastv, e164, h.v)
    redis.call('HSET', vnum, h.v, e164)
  else
    redis.call('HDEL', lastv, e164)
  end
  if redis.call('HEXISTS', nums, e164) == 1 and redis.call('SISMEMBER', paused, e164) == 0 then
    -- Free order: idle since the holder's last heartbeat for a lapsed or reclaimed lease, else since the release.
    local idle = at
    if why == 'expired' or why == 'reclaimed' then idle = h.t end
    redis.call('ZADD', free, idle, e164)
  end
  emit('release', e164, h, at, why)
end

local function expire_due(limit)
  local due = redis.call('ZRANGEBYSCORE', busy, '-inf', now, 'LIMIT', 0, limit)
  for _, e164 in ipairs(due) do
    local h = holder(e164)
    if h then close(e164, h, h.x, 'expired') else redis.call('ZREM', busy, e164) end
  end
  return #due
end
`;

/**
 * Holds: a sorted set per visitor and per address (session → hold end), a record per session naming its sets. A
 * set's TTL is its latest hold end. `fresh`: the set did not exist before this call (no TTL to compare with).
 * Otherwise, when ZADD only moved the session's score, the set existed with a TTL and `PEXPIRE … GT` keeps the
 * later end in one call (GT would never set a TTL on a set that has none, so a set the session was not in yet goes
 * through PTTL). Measured on the lease script: PTTL, and ZREMRANGEBYSCORE on a visitor's first set, were 2 of the
 * new visitor's 32 commands (docs/performance.md, "Redis cost of a lease").
 */
const HOLDS = `
local function hold_keep(k, sid, untl, fresh)
  local added = redis.call('ZADD', k, untl, sid)
  if fresh then redis.call('PEXPIRE', k, untl - now)
  elseif added == 0 then redis.call('PEXPIRE', k, untl - now, 'GT')
  elseif redis.call('PTTL', k) < untl - now then redis.call('PEXPIRE', k, untl - now) end
end

-- Moves the session's holds to end at untl, or drops them (untl nil). raw: the record when the caller read it.
local function hold_move(rec, sid, untl, raw)
  raw = raw or redis.call('GET', rec)
  if not raw then return end
  for k in string.gmatch(raw, '[^\\n]+') do
    if untl then hold_keep(k, sid, untl, false) else redis.call('ZREM', k, sid) end
  end
  if untl then redis.call('PEXPIRE', rec, math.max(1, untl - now)) else redis.call('DEL', rec) end
end
`;

/**
 * ARGV 6 session, 7 visitor ('' = unknown), 8 new lease id, 9 sticky '1'/'0', 10 reclaim '1'/'0', 11 ids minted
 * for this request ('s' the session, 'sv' both, '': none; nothing in Redis names a minted id, so its lookups are
 * skipped: 4 of a new visitor's 29 commands); with holding caps also KEYS 10 visitor holds, 11 address holds, 12
 * session hold record and ARGV 12 visitor cap, 13 address cap (0: none). Over a cap: { 'capped', 'visitor'|'address' }, nothing leased or counted. A session already counted
 * passes; a lease counts (or moves) its holds to the lease's end, a refusal drops them.
 */
export const LEASE_SCRIPT = `${COMMON}${HOLDS}
local sid, vid, newid = ARGV[6], ARGV[7], ARGV[8]
local sticky, reclaim = ARGV[9] == '1', ARGV[10] == '1'
local newsess, newvis = ARGV[11] ~= '', ARGV[11] == 'sv' and vid ~= ''
local hrec = KEYS[12]
-- The record itself rather than EXISTS: a counted session (page two) moves its holds with it below, one GET fewer.
local hraw = hrec ~= nil and not newsess and redis.call('GET', hrec) or nil
local counted = hraw ~= nil
local use, fresh = {}, {}
if hrec and not counted then
  local caps = { tonumber(ARGV[12]), tonumber(ARGV[13]) }
  for i = 1, 2 do
    if caps[i] > 0 then
      local k = KEYS[9 + i]
      -- Only a set that exists has ended holds to drop (a new visitor's has none); dropping them all deletes it.
      local n = 0
      if i == 2 or not newvis then n = redis.call('ZCARD', k) end
      if n > 0 then n = n - redis.call('ZREMRANGEBYSCORE', k, '-inf', now) end
      if n >= caps[i] then return { 'capped', i == 1 and 'visitor' or 'address' } end
      table.insert(use, k)
      fresh[k] = n == 0
    end
  end
end

-- A number whose \`nums\` entry vanished (keys evicted or deleted under the script) is dropped from the free and
-- busy sets instead of being leased with no id, which made XADD throw. nil: try the next candidate. When the whole
-- hash is gone, 'empty' with nothing dropped (the check below, made here so that a lease that finds its number does
-- not pay for it).
local function take(e164, how, from)
  local n = redis.call('HGET', nums, e164)
  if not n then
    if redis.call('HLEN', nums) == 0 then return { 'empty' } end
    redis.call('ZREM', free, e164)
    redis.call('ZREM', busy, e164)
    redis.call('HDEL', holders, e164)
    return nil
  end
  local h = { l = newid, s = sid, v = vid, n = n, a = now, t = now, x = now + active + hold, r = from }
  local prev = redis.call('HGET', lastv, e164)
  if prev and prev ~= vid and redis.call('HGET', vnum, prev) == e164 then redis.call('HDEL', vnum, prev) end
  redis.call('ZREM', free, e164)
  redis.call('HSET', holders, e164, cjson.encode(h))
  redis.call('HSET', sess, sid, e164)
  redis.call('ZADD', busy, h.x, e164)
  emit('lease', e164, h, now, '')
  return { how, h.l, n, e164, h.a, h.x, from }
end

local function attempt()
local own = not newsess and redis.call('HGET', sess, sid) or nil
local h = own and holder(own)
if h and h.x > now then
  h.t = now
  h.x = now + active + hold
  redis.call('HSET', holders, own, cjson.encode(h))
  redis.call('ZADD', busy, h.x, own)
  return { 'renewed', h.l, h.n, own, h.a, h.x, h.r }
end
-- A renewal leaves the ended leases of others to the next lease that takes a number (or the sweep): it needs no
-- number, and their rows get the same end either way. Page two paid a busy-set lookup for nothing.
expire_due(20)
-- The session's own ended lease may have been among them.
if own then own = redis.call('HGET', sess, sid) end
if own then
  h = holder(own)
  if h then close(own, h, h.x, 'expired') else redis.call('HDEL', sess, sid) end
end
-- The pool's numbers are gone from Redis (evicted, flushed, deleted): answer "empty" so the caller rebuilds the
-- pool from SQL, never an error. \`take\` checks it when a candidate has no entry; without a candidate, below.
if sticky and vid ~= '' and not newvis then
  local e164 = redis.call('HGET', vnum, vid)
  if e164 and redis.call('ZSCORE', free, e164) and redis.call('HGET', lastv, e164) == vid then
    local got = take(e164, 'sticky', '')
    if got then return got end
  end
end
-- The first free number almost always has its entry: ask for one, and for the next nine only when it had none
-- (a reply of ten members was converted to a Lua table to use its first).
local firsts = redis.call('ZRANGE', free, 0, 0)
if firsts[1] then
  local got = take(firsts[1], 'free', '')
  if got then return got end
  for _, e164 in ipairs(redis.call('ZRANGE', free, 0, 8)) do
    got = take(e164, 'free', '')
    if got then return got end
  end
end
if redis.call('HLEN', nums) == 0 then return { 'empty' } end
-- Inactive holders: last seen before now - active, i.e. expiry before now + hold. Oldest first; paused are skipped.
local idle = redis.call('ZRANGEBYSCORE', busy, '-inf', '(' .. string.format('%d', now + hold), 'LIMIT', 0, 50)
for _, e164 in ipairs(idle) do
  if redis.call('SISMEMBER', paused, e164) == 0 then
    local h = holder(e164)
    if h and h.x <= now then
      close(e164, h, h.x, 'expired')
      local got = take(e164, 'free', '')
      if got then return got end
    elseif h and reclaim then
      close(e164, h, now, 'reclaimed')
      local got = take(e164, 'reclaimed', h.l)
      if got then return got end
    end
  end
end
return { 'blocked' }
end

local r = attempt()
if hrec then
  if r[1] == 'blocked' or r[1] == 'empty' then hold_move(hrec, sid, nil)
  elseif counted then hold_move(hrec, sid, r[6], hraw)
  elseif #use > 0 then
    for _, k in ipairs(use) do hold_keep(k, sid, r[6], fresh[k]) end
    redis.call('SET', hrec, table.concat(use, '\\n'), 'PX', math.max(1, r[6] - now))
  end
end
return r
`;

/** ARGV 6 session; KEYS 10 (optional) its hold record. Returns the new expiry, or false when the session holds nothing. */
export const HEARTBEAT_SCRIPT = `${COMMON}${HOLDS}
local sid = ARGV[6]
local own = redis.call('HGET', sess, sid)
if not own then return false end
local h = holder(own)
if not h then redis.call('HDEL', sess, sid) return false end
if h.x <= now then close(own, h, h.x, 'expired') return false end
h.t = now
h.x = now + active + hold
redis.call('HSET', holders, own, cjson.encode(h))
redis.call('ZADD', busy, h.x, own)
if KEYS[10] then hold_move(KEYS[10], sid, h.x) end
return h.x
`;

/** ARGV 6 session, 7 reason. Returns 1 when a lease ended, 0 when the session held nothing. */
export const RELEASE_SCRIPT = `${COMMON}
local sid, why = ARGV[6], ARGV[7]
local own = redis.call('HGET', sess, sid)
if not own then return 0 end
local h = holder(own)
if not h then redis.call('HDEL', sess, sid) return 0 end
if h.x <= now then close(own, h, h.x, 'expired') else close(own, h, now, why) end
return 1
`;

/** ARGV 6 limit. Returns how many leases ended. */
export const SWEEP_SCRIPT = `${COMMON}
return expire_due(tonumber(ARGV[6]))
`;

/**
 * Syncing a pool runs in chunks so that no script holds Redis long (one script over 50,000 numbers passed Redis's
 * 5 s busy limit on a loaded machine and blocked every client meanwhile): SYNC_ADD per chunk of the wanted numbers,
 * which also stages them in KEYS 10 (a hash e164 -> number id, private to this sync), then SYNC_REMOVE per HSCAN
 * page of the pool's numbers, which drops the ones not staged. Leases between chunks see a consistent pool: each
 * number is changed in one step (its entry, pause, free slot and holder together), and a number not yet removed is
 * an ordinary number of the pool until its removal closes its lease ('admin').
 */
const SYNC_COMMON = `${COMMON}
local want = KEYS[10]
-- The number leaves the live pool: its holder's lease ends (admin), it is neither free nor paused any more.
local function drop(e164)
  redis.call('HDEL', nums, e164)
  local h = holder(e164)
  if h then close(e164, h, math.min(now, h.x), 'admin') end
  redis.call('SREM', paused, e164)
  redis.call('ZREM', free, e164)
  redis.call('HDEL', lastv, e164)
end
`;

/** ARGV 6.. triples (number id, e164, 'active'|'paused'); KEYS 10 the staging hash. */
export const SYNC_ADD_SCRIPT = `${SYNC_COMMON}
for i = 6, #ARGV, 3 do
  local id, e164, status = ARGV[i], ARGV[i + 1], ARGV[i + 2]
  local had = redis.call('HGET', nums, e164)
  -- The number came back under another id: the old one's lease ends as a removal would end it.
  if had and had ~= id then drop(e164) end
  redis.call('HSET', want, e164, id)
  redis.call('HSET', nums, e164, id)
  if status == 'paused' then
    redis.call('SADD', paused, e164)
    redis.call('ZREM', free, e164)
  else
    redis.call('SREM', paused, e164)
    if redis.call('HEXISTS', holders, e164) == 0 and not redis.call('ZSCORE', free, e164) then
      redis.call('ZADD', free, 0, e164)
    end
  end
end
-- A sync that dies half-way leaves no staging behind for long.
redis.call('PEXPIRE', want, ${SYNC_STAGING_TTL_MS})
return 0
`;

/**
 * ARGV 6 HSCAN cursor of the pool's numbers, 7 HSCAN COUNT, 8 how many distinct numbers were staged; KEYS 10 the
 * staging hash. Returns { next cursor, e164s removed }; at cursor '0' the staging is deleted. A staging that is not
 * all there (expired under a sync slower than its TTL) is an error, never "nothing is wanted": that would empty the
 * pool.
 */
export const SYNC_REMOVE_SCRIPT = `${SYNC_COMMON}
if redis.call('HLEN', want) ~= tonumber(ARGV[8]) then return redis.error_reply('ERR pool sync staging lost') end
local page = redis.call('HSCAN', nums, ARGV[6], 'COUNT', ARGV[7])
local removed = {}
local fields = page[2]
for i = 1, #fields, 2 do
  local e164 = fields[i]
  if redis.call('HEXISTS', want, e164) == 0 then
    drop(e164)
    table.insert(removed, e164)
  end
end
if page[1] == '0' then redis.call('DEL', want) end
return { page[1], removed }
`;
