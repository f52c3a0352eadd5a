import type { Config } from '../../config.js';
import { LocalRecordingStorage } from './local-recording-storage.js';
import type { RecordingStorage } from './recording-storage.js';

export async function createRecordingStorage(cfg: Config['recordings']['storage']): Promise<RecordingStorage> {
  if (cfg.kind === 'local') return new LocalRecordingStorage(cfg.dir);
  // Loaded only when configured: the AWS SDK is large and slows every embedded start.
  const { S3RecordingStorage } = await import('./s3-recording-storage.js');
  return new S3RecordingStorage(cfg);
}
