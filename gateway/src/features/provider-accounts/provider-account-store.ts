import type { DbOrTrx } from '../../adapters/db/knex.js';
import type { SecretBox } from '../../shared/secret-box.js';

const TABLE = 'provider_accounts';
const COLUMNS = ['id', 'account_id', 'provider', 'external_id', 'secret_enc', 'created_at', 'updated_at'] as const;

/** A telephony provider login of an account: Twilio Account SID and its auth token (decrypted only in memory). */
export interface ProviderAccount {
  readonly id: string;
  readonly accountId: string;
  readonly provider: 'twilio';
  readonly externalId: string;
  readonly secret: string;
  readonly createdAt: Date;
  readonly updatedAt: Date;
}

interface Row {
  id: string;
  account_id: string;
  provider: 'twilio';
  external_id: string;
  secret_enc: string;
  created_at: Date;
  updated_at: Date;
}

const aad = (provider: string, externalId: string) => `${provider}:${externalId}`;

export class PgProviderAccountStore {
  constructor(private readonly box: SecretBox) {}

  private toDomain(r: Row): ProviderAccount {
    return {
      id: r.id,
      accountId: r.account_id,
      provider: r.provider,
      externalId: r.external_id,
      secret: this.box.open(r.secret_enc, aad(r.provider, r.external_id)),
      createdAt: r.created_at,
      updatedAt: r.updated_at,
    };
  }

  /** Creates or replaces the account's credentials for this provider login. */
  async upsert(db: DbOrTrx, p: { id: string; accountId: string; provider: 'twilio'; externalId: string; secret: string }): Promise<ProviderAccount> {
    const [row] = (await db(TABLE)
      .insert({
        id: p.id,
        account_id: p.accountId,
        provider: p.provider,
        external_id: p.externalId,
        secret_enc: this.box.seal(p.secret, aad(p.provider, p.externalId)),
      })
      .onConflict(['provider', 'external_id'])
      .merge(['secret_enc', 'updated_at'])
      .returning(COLUMNS)) as Row[];
    return this.toDomain(row!);
  }

  async getForAccount(db: DbOrTrx, accountId: string, provider: 'twilio'): Promise<ProviderAccount | null> {
    const row = (await db(TABLE)
      .select(...COLUMNS)
      .where({ account_id: accountId, provider })
      .orderBy('created_at')
      .first()) as Row | undefined;
    return row ? this.toDomain(row) : null;
  }

  async getByExternalId(db: DbOrTrx, provider: 'twilio', externalId: string): Promise<ProviderAccount | null> {
    const row = (await db(TABLE)
      .select(...COLUMNS)
      .where({ provider, external_id: externalId })
      .first()) as Row | undefined;
    return row ? this.toDomain(row) : null;
  }

  /** Every login, for the in-memory webhook routing table (webhooks must verify with the database down). */
  async listAll(db: DbOrTrx, provider: 'twilio'): Promise<ProviderAccount[]> {
    const rows = (await db(TABLE)
      .select(...COLUMNS)
      .where({ provider })) as Row[];
    return rows.map((r) => this.toDomain(r));
  }
}
