import { expect } from 'chai';
import type { TestDatabase } from './db.js';
import { startScenario, UA_MOBILE } from './analytics-scenario.js';
import type { Scenario } from './analytics-scenario.js';

export type Row = Record<string, number | string | null>;
export interface Report {
  rows: Row[];
  totals: Row;
  timezone: string;
  currency: string;
  groupBy: string;
  model: string;
}

/**
 * A hand-built site whose expected figures come from reading the story below, not from the code:
 *
 *   visitor A  11-20 10:00 gclid, campaign brand, term sofa (Google Ads)  → calls at 10:00:30, talks 60 s
 *   visitor D  11-20 15:00 from google.com, organic (no channel)          → no call
 *   visitor B  11-20 23:59 vk / paid_social / retarget_nov (VK Ads)       → calls at 23:59:30, missed
 *   visitor C  11-21 00:01 direct, first visit ever (Direct)              → calls at 00:01:30 (40 s) and 00:02:30 (5 s)
 *   visitor A  11-21 12:00 direct return (Direct)                         → calls at 12:00:30, 10 s (26 h after the first)
 *   visitor E  11-20 11:00 vk (VK Ads), 11-21 13:00 gclid, generic        → calls at 13:00:30, 30 s, from a phone
 *
 * Times are Moscow time; 23:59:30 on the 20th is 20:59:30 UTC and 00:01:30 on the 21st is still the 20th in UTC.
 * Target calls: answered and at least 30 s. A call opens a lead unless the caller called within 24 h before.
 */
export interface Story {
  readonly s: Scenario;
  /** Call ids of the story: c1 (A, first), c2 (B, missed), c3 (C, first), c5 (A, direct return), c6 (E). */
  readonly calls: Record<'c1' | 'c2' | 'c3' | 'c5' | 'c6', string>;
  get(q: string): Promise<Report>;
  byKey(r: Report, key: string | null): Row;
}

export async function startStory(db: TestDatabase): Promise<Story> {
  const calls: Record<string, string> = {};
  const s = await startScenario(db, { currency: 'RUB' });
  const a1 = await s.visit('2026-11-20 10:00:00', { url: 'https://shop.example/sofas?gclid=G1&utm_campaign=brand&utm_term=sofa' });
  calls.c1 = (await s.call('2026-11-20 10:00:30', { from: '+79160000001', to: a1.number, talk: 60 })).callId;
  await s
    .visit('2026-11-20 11:00:00', { url: 'https://shop.example/?utm_source=vk&utm_medium=paid_social&utm_campaign=retarget_nov' })
    .then(async (e1) => {
      await s.visit('2026-11-20 15:00:00', { url: 'https://shop.example/blog', referrer: 'https://www.google.com/' });
      const b = await s.visit('2026-11-20 23:59:00', {
        url: 'https://shop.example/?utm_source=vk&utm_medium=paid_social&utm_campaign=retarget_nov',
      });
      calls.c2 = (await s.call('2026-11-20 23:59:30', { from: '+79160000002', to: b.number, talk: null })).callId;
      const c = await s.visit('2026-11-21 00:01:00', { url: 'https://shop.example/' });
      calls.c3 = (await s.call('2026-11-21 00:01:30', { from: '+79160000003', to: c.number, talk: 40 })).callId;
      await s.call('2026-11-21 00:02:30', { from: '+79160000003', to: c.number, talk: 5 });
      const a2 = await s.visit('2026-11-21 12:00:00', { url: 'https://shop.example/sofas', visitor: a1.visitor });
      calls.c5 = (await s.call('2026-11-21 12:00:30', { from: '+79160000001', to: a2.number, talk: 10 })).callId;
      const e2 = await s.visit('2026-11-21 13:00:00', {
        url: 'https://shop.example/chairs?gclid=G2&utm_campaign=generic',
        visitor: e1.visitor,
        ua: UA_MOBILE,
      });
      calls.c6 = (await s.call('2026-11-21 13:00:30', { from: '+79160000004', to: e2.number, talk: 30 })).callId;
    });
  return {
    s,
    calls: calls as Story['calls'],
    async get(q) {
      const res = await s.gw.api(`/v1/reports/summary?siteId=${s.siteId}&${q}`);
      expect(res.status, await res.clone().text()).to.equal(200);
      return (await res.json()) as Report;
    },
    byKey(r, key) {
      const row = r.rows.find((x) => x.key === key);
      expect(row, `row ${key}`).to.not.equal(undefined);
      return row!;
    },
  };
}
