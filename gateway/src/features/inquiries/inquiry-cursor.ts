import { BadDataError } from '../../errors/app-error.js';

/**
 * The list's page cursor: the last item's time at the database's own precision (microseconds) and its id, so a page
 * that ends inside a run of equal timestamps continues after that item instead of skipping the rest of the run.
 * `before` still takes a plain date-time (the end of a period): then everything strictly older is listed.
 */
export type InquiryCursor = { readonly kind: 'time'; readonly before: Date } | { readonly kind: 'key'; readonly at: string; readonly id: string };

/** `YYYY-MM-DDTHH:MM:SS.ffffffZ~<id>`; `to_char(... 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')` makes the time part. */
const KEY = /^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}Z)~([A-Za-z0-9_-]{1,64})$/;

/** SQL for an item's cursor time, in UTC with microseconds (lexical order is time order). */
export const cursorTimeSql = (column: string): string => `to_char(${column} AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')`;

export const encodeInquiryCursor = (at: string, id: string): string => `${at}~${id}`;

export function parseInquiryCursor(value: string): InquiryCursor {
  const key = KEY.exec(value);
  if (key && !Number.isNaN(Date.parse(key[1]!))) return { kind: 'key', at: key[1]!, id: key[2]! };
  const d = new Date(value);
  if (!value.includes('~') && !Number.isNaN(d.getTime())) return { kind: 'time', before: d };
  throw new BadDataError('before is neither a date-time nor a page cursor', [
    { path: 'query/before', message: 'query/before must be a date-time or the nextBefore of a page' },
  ]);
}
