import { createHash } from 'node:crypto';
import type { HoldCaps, HoldCounter, HoldLimit } from '../../features/dni/hold-limits.js';
import type { Pool } from '../../features/number-pools/pool-store-type.js';
import type { RedisHandle } from './redis-client.js';

/**
 * The holding caps counted in Redis, so every replica sees the same holds. Per pool (hash tag `{poolId}`, one slot on
 * a cluster): a sorted set per visitor id and per client address (session → hold end, ms) and a string per counted
 * session naming the sets it is in. Each operation is one Lua script: the check and the count are atomic, so two
 * replicas cannot both let an address past its cap. Every key expires with its last hold.
 */

const KEEP = `
local function keep(k, sid, untl, now)
  redis.call('ZADD', k, untl, sid)
  if redis.call('PTTL', k) < untl - now then redis.call('PEXPIRE', k, untl - now) end
end
`;

/** KEYS 1 visitor set, 2 address set, 3 session. ARGV session, now, until, visitor cap, address cap. */
const RESERVE = `${KEEP}
local sid, now, untl = ARGV[1], tonumber(ARGV[2]), tonumber(ARGV[3])
local caps = { tonumber(ARGV[4]), tonumber(ARGV[5]) }
if redis.call('EXISTS', KEYS[3]) == 1 then return '' end
local used = {}
for i = 1, 2 do
  if caps[i] > 0 then
    redis.call('ZREMRANGEBYSCORE', KEYS[i], '-inf', now)
    if redis.call('ZCARD', KEYS[i]) >= caps[i] then return i == 1 and 'visitor' or 'address' end
    table.insert(used, KEYS[i])
  end
end
if #used == 0 then return '' end
for _, k in ipairs(used) do keep(k, sid, untl, now) end
redis.call('SET', KEYS[3], table.concat(used, '\\n'), 'PX', math.max(1, untl - now))
return ''
`;

/**
 * KEYS 1 session. ARGV session, now, until ('' = release). The sets it names share its hash slot; they are not in
 * KEYS because only the session's record knows them.
 */
const MOVE = `${KEEP}
local sid, now = ARGV[1], tonumber(ARGV[2])
local raw = redis.call('GET', KEYS[1])
if not raw then return 0 end
for k in string.gmatch(raw, '[^\\n]+') do
  if ARGV[3] == '' then redis.call('ZREM', k, sid) else keep(k, sid, tonumber(ARGV[3]), now) end
end
if ARGV[3] == '' then redis.call('DEL', KEYS[1]) else redis.call('PEXPIRE', KEYS[1], math.max(1, tonumber(ARGV[3]) - now)) end
return 1
`;

/** A hold key; the lease scripts name the same keys, so holds counted there and here are one count. */
export const holdKey = (keyPrefix: string, poolId: string, part: string): string => `${keyPrefix}hold:{${poolId}}:${part}`;

const sha = (text: string): string => createHash('sha1').update(text).digest('hex');
const SCRIPTS = { reserve: { text: RESERVE, sha: sha(RESERVE) }, move: { text: MOVE, sha: sha(MOVE) } };

export class RedisHoldLimits implements HoldCounter {
  constructor(private readonly redis: RedisHandle) {}

  private key(poolId: string, part: string): string {
    return holdKey(this.redis.keyPrefix, poolId, part);
  }

  private async run(s: { text: string; sha: string }, keys: readonly string[], args: readonly string[]): Promise<unknown> {
    const c = this.redis.client;
    try {
      return await c.sendCommand(['EVALSHA', s.sha, String(keys.length), ...keys, ...args]);
    } catch (err) {
      if (!String((err as Error).message).startsWith('NOSCRIPT')) throw err;
      return c.sendCommand(['EVAL', s.text, String(keys.length), ...keys, ...args]);
    }
  }

  async reserve(
    pool: Pool,
    sessionId: string,
    visitorId: string,
    address: string | undefined,
    caps: HoldCaps,
    until: number,
    now: number,
  ): Promise<HoldLimit | null> {
    const keys = [this.key(pool.id, `v:${visitorId}`), this.key(pool.id, `a:${address ?? ''}`), this.key(pool.id, `s:${sessionId}`)];
    const perAddress = address === undefined ? 0 : caps.perAddress;
    const r = await this.run(SCRIPTS.reserve, keys, [sessionId, String(now), String(until), String(caps.perVisitor), String(perAddress)]);
    return r === 'visitor' || r === 'address' ? r : null;
  }

  async extended(poolId: string, sessionId: string, until: number, now: number): Promise<void> {
    await this.run(SCRIPTS.move, [this.key(poolId, `s:${sessionId}`)], [sessionId, String(now), String(until)]);
  }

  async released(poolId: string, sessionId: string): Promise<void> {
    await this.run(SCRIPTS.move, [this.key(poolId, `s:${sessionId}`)], [sessionId, '0', '']);
  }
}
