import type { LeadTrigger } from '../leads/lead-types.js';

export type CrmSinkKind = 'webhook' | 'retailcrm' | 'bitrix24' | 'amocrm' | 'ga4';
export const CRM_SINK_KINDS: readonly CrmSinkKind[] = ['webhook', 'retailcrm', 'bitrix24', 'amocrm', 'ga4'];

/** Where a site's leads go. Secrets are kept sealed apart from this and never leave the server. */
export interface CrmSink {
  readonly id: string;
  readonly accountId: string;
  /** null: every site of the account. */
  readonly siteId: string | null;
  readonly kind: CrmSinkKind;
  readonly name: string;
  readonly config: Readonly<Record<string, unknown>>;
  readonly deliverOn: readonly LeadTrigger[];
  readonly status: 'active' | 'disabled';
  readonly disabledReason: string | null;
  /** 'env' when LEADS_WEBHOOK_URL manages it. */
  readonly managedBy: string | null;
  readonly hasSecrets: boolean;
  readonly hasFeedbackToken: boolean;
  readonly createdAt: Date;
  readonly updatedAt: Date;
}

export interface NewCrmSink {
  readonly id: string;
  readonly accountId: string;
  readonly siteId: string | null;
  readonly kind: CrmSinkKind;
  readonly name: string;
  readonly config: Record<string, unknown>;
  readonly secretsSealed: string | null;
  readonly deliverOn: readonly LeadTrigger[];
  readonly feedbackTokenHash: string | null;
  readonly managedBy: string | null;
  /** Created disabled, for this reason (no lead is queued for it until it is enabled); active when absent. */
  readonly disabledReason?: string;
}

export interface CrmSinkPatch {
  readonly name?: string;
  readonly config?: Record<string, unknown>;
  readonly secretsSealed?: string | null;
  readonly deliverOn?: readonly LeadTrigger[];
  readonly status?: 'active' | 'disabled';
  readonly disabledReason?: string | null;
}
