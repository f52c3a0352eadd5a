import type { DbOrTrx } from '../../adapters/db/knex.js';
import { MIN_SCORE } from '../attribution/attribution-matcher.js';

/** One day of a pool's calls in the site's time zone, as stored matches say. */
export interface PoolAccuracyDay {
  readonly date: string;
  readonly calls: number;
  /** Matched to a session with no other candidate session scoring ≥ 0.5. */
  readonly matchedUniquely: number;
  /** Matched while another session also scored ≥ 0.5 (more than one candidate within the evidence window). */
  readonly ambiguous: number;
  readonly byLease: number;
  readonly byTelClick: number;
  readonly byCallerHistory: number;
  readonly byLastHolder: number;
  readonly manual: number;
  readonly unattributed: number;
  readonly blockedVisits: number;
  /** Calls with a tel: click beacon for the number in the minutes before (ground truth). */
  readonly telClickChecked: number;
  /** Of those, matched to the clicking session: certainly correct, so a lower bound of correct matches. */
  readonly correctLowerBound: number;
}

const KEYS = [
  'calls',
  'matchedUniquely',
  'ambiguous',
  'byLease',
  'byTelClick',
  'byCallerHistory',
  'byLastHolder',
  'manual',
  'unattributed',
  'blockedVisits',
  'telClickChecked',
  'correctLowerBound',
] as const;

type Counts = Omit<PoolAccuracyDay, 'date'>;

const zero = (): Record<(typeof KEYS)[number], number> => Object.fromEntries(KEYS.map((k) => [k, 0])) as Record<(typeof KEYS)[number], number>;

/** Per-day accuracy figures of a pool: calls on its numbers (with their stored evidence) and its blocked visits. */
export class PoolAccuracyReadModel {
  /** Days `from` (inclusive) to `to` (exclusive), `YYYY-MM-DD` in `timezone`; every day listed, zeros included. */
  async days(db: DbOrTrx, q: { accountId: string; poolId: string; timezone: string; from: string; to: string }): Promise<PoolAccuracyDay[]> {
    const bounds = [q.from, q.timezone, q.to, q.timezone];
    const calls = (
      await db.raw(
        `with c as (
           select to_char(c.started_at at time zone ?, 'YYYY-MM-DD') as day, c.session_id, c.attribution->>'method' as method,
                  (select count(distinct e->>'sessionId') from jsonb_array_elements(coalesce(c.attribution->'candidates', '[]'::jsonb)) e
                    where e->>'sessionId' is not null and (e->>'score')::float8 >= ?) as strong,
                  (select e->>'sessionId' from jsonb_array_elements(coalesce(c.attribution->'candidates', '[]'::jsonb)) e
                    where e->>'method' = 'tel_click' and e->>'sessionId' is not null order by (e->>'score')::float8 desc limit 1) as clicker
             from calls c join tracking_numbers n on n.id = c.tracking_number_id
            where c.account_id = ? and n.pool_id = ?
              and c.started_at >= (?::date)::timestamp at time zone ? and c.started_at < (?::date)::timestamp at time zone ?)
         select day, count(*)::int as calls,
                count(*) filter (where session_id is not null and strong <= 1)::int as matched_uniquely,
                count(*) filter (where session_id is not null and strong > 1)::int as ambiguous,
                count(*) filter (where method = 'lease')::int as by_lease,
                count(*) filter (where method = 'tel_click')::int as by_tel_click,
                count(*) filter (where method = 'caller_history')::int as by_caller_history,
                count(*) filter (where method = 'last_holder')::int as by_last_holder,
                count(*) filter (where method = 'manual')::int as manual,
                count(*) filter (where session_id is null)::int as unattributed,
                count(*) filter (where clicker is not null)::int as tel_click_checked,
                count(*) filter (where clicker is not null and clicker = session_id)::int as correct_lower_bound
           from c group by day`,
        [q.timezone, MIN_SCORE, q.accountId, q.poolId, ...bounds],
      )
    ).rows as Record<string, number | string>[];
    const blocked = (
      await db.raw(
        `select to_char(at at time zone ?, 'YYYY-MM-DD') as day, coalesce(sum(blocked), 0)::int as n from pool_health_samples
          where account_id = ? and pool_id = ? and at >= (?::date)::timestamp at time zone ? and at < (?::date)::timestamp at time zone ?
          group by 1`,
        [q.timezone, q.accountId, q.poolId, ...bounds],
      )
    ).rows as { day: string; n: number }[];
    const byDay = new Map<string, Record<(typeof KEYS)[number], number>>();
    for (const r of calls) {
      byDay.set(String(r.day), {
        ...zero(),
        calls: Number(r.calls),
        matchedUniquely: Number(r.matched_uniquely),
        ambiguous: Number(r.ambiguous),
        byLease: Number(r.by_lease),
        byTelClick: Number(r.by_tel_click),
        byCallerHistory: Number(r.by_caller_history),
        byLastHolder: Number(r.by_last_holder),
        manual: Number(r.manual),
        unattributed: Number(r.unattributed),
        telClickChecked: Number(r.tel_click_checked),
        correctLowerBound: Number(r.correct_lower_bound),
      });
    }
    for (const b of blocked) {
      const d = byDay.get(b.day) ?? zero();
      d.blockedVisits = Number(b.n);
      byDay.set(b.day, d);
    }
    const out: PoolAccuracyDay[] = [];
    for (const date of datesBetween(q.from, q.to)) out.push({ date, ...(byDay.get(date) ?? zero()) });
    return out;
  }
}

/** Calendar dates from `from` (inclusive) to `to` (exclusive). */
export function datesBetween(from: string, to: string): string[] {
  const out: string[] = [];
  for (let t = Date.parse(`${from}T00:00:00Z`); t < Date.parse(`${to}T00:00:00Z`); t += 86_400_000) out.push(new Date(t).toISOString().slice(0, 10));
  return out;
}

export function sumDays(days: readonly PoolAccuracyDay[]): Counts {
  const t = zero();
  for (const d of days) for (const k of KEYS) t[k] += d[k];
  return t;
}
