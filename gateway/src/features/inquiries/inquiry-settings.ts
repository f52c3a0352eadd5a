import type { DbOrTrx } from '../../adapters/db/knex.js';

/** A weekly opening: days 1 (Monday) to 7, local times "HH:MM" in the site's time zone, [from, to). */
export interface OpeningHours {
  readonly days: readonly number[];
  readonly from: string;
  readonly to: string;
}

/** What a site takes besides calls. Stored in `inquiry_settings.settings`, merged over these defaults. */
export interface InquirySettings {
  readonly forms: {
    readonly enabled: boolean;
    /** CSS selectors of the forms the widget reports; forms marked `data-dni-form` always are. */
    readonly selectors: readonly string[];
    /** The honeypot input's name: a submission with a value in it is dropped as spam. */
    readonly honeypotField: string;
    /** Submissions sooner than this after the page opened are dropped as spam; null = no minimum. */
    readonly minSecondsOnPage: number | null;
    readonly perSitePerMinute: number;
    readonly perAddressPerHour: number;
  };
  readonly callback: {
    readonly enabled: boolean;
    readonly provider: 'twilio' | 'asterisk';
    /** Rung first; the visitor is dialled once it answers. */
    readonly businessNumber: string | null;
    /** The caller id both legs show (a Twilio number of the account, or the trunk's DID). */
    readonly callerId: string | null;
    /** Empty: always open. */
    readonly hours: readonly OpeningHours[];
    /** Asterisk: the dialplan context that dials PJSIP/<number>. */
    readonly asteriskContext: string;
  };
  readonly email: {
    readonly enabled: boolean;
    /** The address printed on the site that the widget replaces. */
    readonly canonical: string | null;
    /** Where tracked mail is delivered. */
    readonly forwardTo: string | null;
    /** Aliases are <local>@<domain>; the domain's MX points at the provider or at this gateway. */
    readonly domain: string | null;
    /** 'channel': one alias per channel; 'session': an alias leased to each visit from a pool. */
    readonly mode: 'channel' | 'session';
    readonly poolSize: number;
    /** Days the raw bytes of a message are kept after it was forwarded; null: kept with the inquiry. */
    readonly rawMailRetentionDays: number | null;
  };
}

export const DEFAULT_INQUIRY_SETTINGS: InquirySettings = {
  forms: { enabled: false, selectors: [], honeypotField: 'dni_hp', minSecondsOnPage: null, perSitePerMinute: 60, perAddressPerHour: 5 },
  callback: { enabled: false, provider: 'twilio', businessNumber: null, callerId: null, hours: [], asteriskContext: 'from-internal' },
  email: { enabled: false, canonical: null, forwardTo: null, domain: null, mode: 'channel', poolSize: 20, rawMailRetentionDays: 30 },
};

type Patch = { [K in keyof InquirySettings]?: Partial<InquirySettings[K]> };

export function mergeSettings(base: InquirySettings, patch: Patch | null | undefined): InquirySettings {
  return {
    forms: { ...base.forms, ...(patch?.forms ?? {}) },
    callback: { ...base.callback, ...(patch?.callback ?? {}) },
    email: { ...base.email, ...(patch?.email ?? {}) },
  };
}

interface Row {
  site_id: string;
  account_id: string;
  settings: Patch;
  signing_secret: string;
}

/** `inquiry_settings`: one row per site that configured inquiries; the signing secret is sealed. */
export class PgInquirySettingsStore {
  async get(db: DbOrTrx, siteId: string): Promise<{ accountId: string; settings: InquirySettings; sealedSecret: string } | null> {
    const row = (await db('inquiry_settings').where({ site_id: siteId }).first()) as Row | undefined;
    return row
      ? { accountId: row.account_id, settings: mergeSettings(DEFAULT_INQUIRY_SETTINGS, row.settings), sealedSecret: row.signing_secret }
      : null;
  }

  async put(db: DbOrTrx, r: { siteId: string; accountId: string; settings: InquirySettings; sealedSecret: string }): Promise<void> {
    await db('inquiry_settings')
      .insert({ site_id: r.siteId, account_id: r.accountId, settings: JSON.stringify(r.settings), signing_secret: r.sealedSecret })
      .onConflict('site_id')
      .merge({ settings: JSON.stringify(r.settings), signing_secret: r.sealedSecret, updated_at: db.fn.now() });
  }
}
