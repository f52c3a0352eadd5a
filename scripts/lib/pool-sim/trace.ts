import { parse } from 'csv-parse/sync';
import type { SimVisit } from './traffic.js';

/**
 * A trace of real sessions and calls as CSV (header row required, columns in any order, extra columns ignored):
 *
 * | column        | required | meaning                                                                    |
 * |---------------|----------|----------------------------------------------------------------------------|
 * | session_id    | yes      | one row per visit (session)                                                |
 * | visitor_id    | no       | same id on several rows = a returning visitor (default: the session id)    |
 * | started_at    | yes      | ISO 8601 time or Unix epoch seconds                                        |
 * | ended_at      | yes*     | last activity; *or `duration_s`                                            |
 * | duration_s    | no       | seconds, used when `ended_at` is empty                                     |
 * | first_signal_at | no     | when the widget saw a human signal and asked for a number (default: start) |
 * | device        | no       | `mobile` or anything else (desktop)                                        |
 * | bot           | no       | `1`/`true`: a crawler (the gateway shows it no pool number)                |
 * | call_at       | no       | when this visit's visitor called (empty: no call); the call belongs to it  |
 * | caller        | no       | caller id; the same caller on several rows is a repeat caller              |
 * | tel_click_at  | no       | when the visitor tapped the tel: link (the widget's beacon)                |
 * | leave_beacon  | no       | `0`/`false` if the page's leave beacon was lost (default: it arrived)      |
 *
 * Rows may come in any order. Times are shifted so the first visit starts at 0.
 */

export class TraceError extends Error {}

const truthy = (v: string | undefined) => v !== undefined && /^(1|true|yes|y)$/i.test(v.trim());

function time(v: string | undefined, row: number, col: string): number | null {
  if (v === undefined || v.trim() === '') return null;
  const s = v.trim();
  const ms = /^\d+(\.\d+)?$/.test(s) ? Number(s) * 1000 : Date.parse(s);
  if (!Number.isFinite(ms)) throw new TraceError(`row ${row}: ${col} "${s}" is neither an ISO 8601 time nor epoch seconds`);
  return Math.round(ms);
}

export function parseTrace(text: string): SimVisit[] {
  let rows: Record<string, string>[];
  try {
    rows = parse(text, { columns: (h: string[]) => h.map((c) => c.trim().toLowerCase()), skip_empty_lines: true, trim: true, bom: true });
  } catch (err) {
    throw new TraceError(`not a valid CSV file: ${(err as Error).message}`);
  }
  if (!rows.length) throw new TraceError('the trace has no rows');
  for (const col of ['session_id', 'started_at']) if (!(col in rows[0]!)) throw new TraceError(`missing column ${col}`);
  const raw = rows.map((r, i) => {
    const line = i + 2;
    const start = time(r.started_at, line, 'started_at');
    if (start === null) throw new TraceError(`row ${line}: started_at is empty`);
    let end = time(r.ended_at, line, 'ended_at');
    if (end === null && r.duration_s !== undefined && r.duration_s !== '') {
      const d = Number(r.duration_s);
      if (!(d >= 0)) throw new TraceError(`row ${line}: duration_s "${r.duration_s}" is not a non-negative number`);
      end = start + Math.round(d * 1000);
    }
    if (end === null) throw new TraceError(`row ${line}: needs ended_at or duration_s`);
    if (end < start) throw new TraceError(`row ${line}: ended_at is before started_at`);
    const sessionId = r.session_id?.trim();
    if (!sessionId) throw new TraceError(`row ${line}: session_id is empty`);
    const callAt = time(r.call_at, line, 'call_at');
    if (callAt !== null && callAt < start) throw new TraceError(`row ${line}: call_at is before started_at`);
    return {
      sessionId,
      visitorId: r.visitor_id?.trim() || sessionId,
      start,
      end: Math.max(end, start + 1000),
      signalAt: time(r.first_signal_at, line, 'first_signal_at') ?? start,
      mobile: (r.device ?? '').trim().toLowerCase() === 'mobile',
      bot: truthy(r.bot),
      leaveBeacon: r.leave_beacon === undefined || r.leave_beacon.trim() === '' || truthy(r.leave_beacon),
      callAt,
      caller: r.caller?.trim() || `+1599${String(i).padStart(7, '0')}`,
      telClickAt: time(r.tel_click_at, line, 'tel_click_at'),
    };
  });
  const ids = new Set<string>();
  for (const r of raw) {
    if (ids.has(r.sessionId)) throw new TraceError(`session_id ${r.sessionId} appears twice`);
    ids.add(r.sessionId);
  }
  const t0 = raw.reduce((m, r) => Math.min(m, r.start), Number.POSITIVE_INFINITY);
  return raw
    .sort((a, b) => a.start - b.start)
    .map((r) => ({
      sessionId: r.sessionId,
      visitorId: r.visitorId,
      start: r.start - t0,
      end: r.end - t0,
      signalAt: r.signalAt - t0,
      mobile: r.mobile,
      bot: r.bot,
      leaveBeacon: r.leaveBeacon,
      call: r.callAt === null ? null : { at: r.callAt - t0, caller: r.caller, telClickAt: r.telClickAt === null ? null : r.telClickAt - t0 },
      counted: true,
    }));
}
