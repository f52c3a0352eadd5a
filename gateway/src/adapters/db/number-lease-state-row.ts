/** A row of `number_lease_state` as PostgreSQL returns it: the SQL lease store works on it, the memory engine loads it. */
export interface NumberLeaseStateRow {
  tracking_number_id: string;
  account_id: string;
  pool_id: string;
  e164: string;
  leasable: boolean;
  lease_id: string | null;
  session_id: string | null;
  visitor_id: string | null;
  leased_at: Date | null;
  last_seen_at: Date | null;
  expires_at: Date | null;
  reclaimed_from: string | null;
  released_at: Date;
  last_visitor_id: string | null;
}
