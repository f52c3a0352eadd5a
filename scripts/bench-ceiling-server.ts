/**
 * The references for the HTTP benchmarks: node:http answering each POST after one Redis EVALSHA of a minimal lease
 * script (take the least recently used member of a zset and put it back with a new score), node-redis client; with
 * BENCH_BARE=1 the same server answers without Redis (the bare node:http ceiling). Both read and parse the body, as
 * any JSON endpoint must. Prints its port on stdout when ready. Env: REDIS_URL, BENCH_KEY, BENCH_BARE.
 */
import { createServer } from 'node:http';
import type { ServerResponse } from 'node:http';
import { createClient } from 'redis';

const LEASE = "local m = redis.call('ZPOPMIN', KEYS[1]); if #m == 0 then return false end; redis.call('ZADD', KEYS[1], ARGV[1], m[1]); return m[1]";
const key = process.env.BENCH_KEY ?? 'bench:{ceiling}:free';
const bare = process.env.BENCH_BARE === '1';
const client = bare ? null : createClient({ url: process.env.REDIS_URL ?? 'redis://127.0.0.1:6379' });
let sha = '';
if (client) {
  await client.connect();
  await client.del(key);
  for (let i = 0; i < 100; i++) await client.zAdd(key, { score: 0, value: `+1555000${String(i).padStart(4, '0')}` });
  sha = await client.scriptLoad(LEASE);
}

const answer = (res: ServerResponse, session: string | null, e164: unknown): void => {
  const text = JSON.stringify({ session, swaps: [{ to: e164 }] });
  res.writeHead(200, { 'Content-Type': 'application/json; charset=utf-8', 'Content-Length': Buffer.byteLength(text), 'Cache-Control': 'no-store' });
  res.end(text);
};

const server = createServer((req, res) => {
  const chunks: Buffer[] = [];
  req.on('data', (c: Buffer) => chunks.push(c));
  req.on('end', () => {
    const body = JSON.parse(Buffer.concat(chunks).toString('utf8') || '{}') as { session?: string };
    if (!client) return answer(res, body.session ?? null, '+15550000001');
    client
      .evalSha(sha, { keys: [key], arguments: [String(Date.now())] })
      .then((e164) => answer(res, body.session ?? null, e164))
      .catch(() => {
        res.writeHead(500);
        res.end();
      });
  });
});
server.listen(0, '127.0.0.1', () => {
  const addr = server.address() as { port: number };
  process.stdout.write(`${addr.port}\n`);
});
const stop = (): void => {
  server.close();
  if (!client) process.exit(0);
  else void client.del(key).finally(() => client.close().finally(() => process.exit(0)));
};
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
