import type { LeadStatus } from '../leads/customer-lead-store.js';

/**
 * How a CRM's own status codes become won / lost / open. Each sink may list its codes in its config; without a list
 * the CRM's defaults apply (RetailCRM's stock status codes; Bitrix24's status semantics).
 */

const strings = (v: unknown): string[] | null => (Array.isArray(v) && v.every((x) => typeof x === 'string') ? (v as string[]) : null);

/** RetailCRM's stock codes: `complete` (Выполнен) in the "complete" group; the "cancel" group's stock codes. */
export const RETAILCRM_DEFAULT_WON = ['complete'] as const;
export const RETAILCRM_DEFAULT_LOST = [
  'cancel-other',
  'no-call',
  'no-product',
  'already-buyed',
  'delyvery-did-not-suit',
  'prices-did-not-suit',
] as const;

export function retailCrmOutcome(config: Readonly<Record<string, unknown>>, status: string): LeadStatus {
  const won = strings(config.wonStatuses) ?? [...RETAILCRM_DEFAULT_WON];
  const lost = strings(config.lostStatuses) ?? [...RETAILCRM_DEFAULT_LOST];
  if (won.includes(status)) return 'won';
  if (lost.includes(status)) return 'lost';
  return 'open';
}

/**
 * Bitrix24: a lead's STATUS_ID or a deal's STAGE_ID ("C2:WON" in pipeline 2). Listed codes win; otherwise the
 * entity's semantics (STATUS_SEMANTIC_ID / STAGE_SEMANTIC_ID: S success, F failure, P in progress), else the stock
 * codes (lead CONVERTED / JUNK, deal WON / LOSE in any pipeline).
 */
export function bitrix24Outcome(
  config: Readonly<Record<string, unknown>>,
  entity: 'lead' | 'deal',
  code: string,
  semantic: string | null,
): LeadStatus {
  const won = strings(entity === 'lead' ? config.wonLeadStatuses : config.wonDealStages);
  const lost = strings(entity === 'lead' ? config.lostLeadStatuses : config.lostDealStages);
  if (won?.includes(code)) return 'won';
  if (lost?.includes(code)) return 'lost';
  if (won || lost) return 'open';
  if (semantic === 'S') return 'won';
  if (semantic === 'F') return 'lost';
  if (semantic === 'P') return 'open';
  const bare = code.replace(/^C\d+:/, '');
  if (entity === 'lead') return bare === 'CONVERTED' ? 'won' : bare === 'JUNK' ? 'lost' : 'open';
  return bare === 'WON' ? 'won' : bare === 'LOSE' ? 'lost' : 'open';
}
