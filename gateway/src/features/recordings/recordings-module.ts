import { createRecordingStorage } from '../../adapters/storage/create-recording-storage.js';
import type { RecordingStorage } from '../../adapters/storage/recording-storage.js';
import { AsteriskRecordingFetcher } from '../../adapters/telephony/asterisk/recording-fetcher.js';
import type { FeatureModule } from '../../http/feature-module.js';
import type { Infrastructure } from '../../infrastructure.js';
import type { CallChangeHook } from '../calls/call-change-hook.js';
import { AsteriskRecordingSource } from './asterisk-recording-source.js';
import { RecordingController } from './recording-controller.js';
import type { TwilioCredentialsLookup } from './recording-fetcher.js';
import { TwilioRecordingFetcher } from './recording-fetcher.js';
import { RecordingIntake } from './recording-intake.js';
import { RecordingLinkSigner } from './recording-links.js';
import { RecordingService } from './recording-service.js';
import { createRecordingUploads } from './recording-upload-controller.js';

export interface RecordingsModule extends FeatureModule {
  readonly service: RecordingService;
  readonly intake: RecordingIntake;
  readonly storage: RecordingStorage;
  /** Opens MixMonitor files from the PBX spool (AMI_RECORDINGS_DIR / AMI_RECORDINGS_URL); null without them. */
  readonly asteriskRecordings: AsteriskRecordingFetcher | null;
}

/** Recordings: storage, playback links, uploads, and the durable intake that fetches them from the providers. */
export async function createRecordingsModule(
  infra: Infrastructure,
  deps: {
    /** Tests inject failing or remote storages. */
    storage?: RecordingStorage;
    twilioCredentials: TwilioCredentialsLookup;
    /** Queues the leads when a call's recording is ready. */
    callChangeHook: CallChangeHook;
  },
): Promise<RecordingsModule> {
  const { config, db, stores, clock, logger, events, outbound } = infra;
  const storage = deps.storage ?? (await createRecordingStorage(config.recordings.storage));
  const service = new RecordingService({
    db: db.knex,
    recordings: stores.recordings,
    storage,
    audit: stores.audit,
    signer: new RecordingLinkSigner(config.encryptionKey),
    clock,
    publicBaseUrl: config.http.publicBaseUrl,
    defaultLinkTtlS: config.recordings.linkTtlS,
  });
  const asteriskRecordings =
    config.asterisk && (config.asterisk.recordingsDir || config.asterisk.recordingsUrl)
      ? new AsteriskRecordingFetcher({ dir: config.asterisk.recordingsDir, baseUrl: config.asterisk.recordingsUrl })
      : null;
  const uploads = createRecordingUploads({ db: db.knex, recordings: stores.recordings, audit: stores.audit, dataDir: config.dataDir });
  const intake = new RecordingIntake({
    db: db.knex,
    recordings: stores.recordings,
    storage,
    fetchers: {
      ...(asteriskRecordings ? { asterisk: new AsteriskRecordingSource(asteriskRecordings) } : {}),
      upload: uploads.staging,
      twilio: new TwilioRecordingFetcher({
        credentials: deps.twilioCredentials,
        allowedOrigins: config.recordings.twilioMediaOrigins,
        apiBaseUrl: config.twilioApi.baseUrl,
        fetch: outbound.fetch,
      }),
    },
    events,
    hooks: [deps.callChangeHook],
    clock,
    logger: logger.child({ component: 'recordings' }),
    deleteAtProvider: async (rec) => {
      const row = (await db.knex('calls as c').join('sites as s', 's.id', 'c.site_id').select('s.settings').where('c.id', rec.callId).first()) as
        | { settings: { deleteProviderRecordings?: boolean } }
        | undefined;
      return row?.settings.deleteProviderRecordings === true;
    },
  });
  return {
    name: 'recordings',
    service,
    intake,
    storage,
    asteriskRecordings,
    controllers: [new RecordingController(service), uploads.controller(intake)],
    jobs: [
      {
        // Durable: the recording rows are the queue; every replica may run this (rows are claimed with SKIP LOCKED).
        name: 'recordings.intake',
        intervalMs: 2_000,
        run: async (stopping) => {
          // A backlog drains in batches of five, then waits for the next tick. A stop aborts the download in hand and
          // gives the batch back untried (the rows stay due): draining at a stop ran past the 10 s budget with a few
          // hundred failing downloads, and one stalled download held the stop for its whole 60 s timeout.
          while (!stopping.aborted && (await intake.runOnce(5, stopping)) === 5) {
            // next batch
          }
        },
      },
      {
        name: 'recordings.retention',
        intervalMs: 3_600_000,
        runAtStart: true,
        run: async () => {
          const expired = await stores.recordings.listExpired(db.knex, clock.now(), 500);
          for (const rec of expired) {
            if (rec.storageKey) await storage.delete(rec.storageKey);
            await stores.recordings.markDeleted(db.knex, rec.id, clock.now());
          }
          if (expired.length) logger.info({ deleted: expired.length }, 'recordings past their retention deleted (call records kept)');
        },
      },
    ],
  };
}
