import { monotonicFactory } from 'ulid';

const next = monotonicFactory();

/** Sortable unique ids (ULID): time-ordered, safe in URLs and logs. */
export function newId(): string {
  return next();
}
