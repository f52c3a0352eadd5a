import type { AsteriskRecordingFetcher } from '../../adapters/telephony/asterisk/recording-fetcher.js';
import { RecordingUnavailableError } from '../../adapters/telephony/asterisk/recording-fetcher.js';
import { PermanentFetchError, RetryableFetchError } from './recording-fetcher.js';
import type { FetchedAudio, RecordingFetcher } from './recording-fetcher.js';
import type { Recording } from './recording-store.js';

/**
 * MixMonitor files, read from the PBX spool (mounted or over HTTP) once complete. The recording's provider reference
 * is the path Asterisk reported. A file that is not there yet is retried; a path outside the spool never is.
 */
export class AsteriskRecordingSource implements RecordingFetcher {
  constructor(private readonly files: AsteriskRecordingFetcher) {}

  async fetch(recording: Recording, signal?: AbortSignal): Promise<FetchedAudio> {
    const path = recording.providerRef;
    const ext = /\.mp3$/i.test(path) ? 'mp3' : 'wav';
    try {
      const f = await this.files.open(path, signal);
      return { body: f.stream, contentType: ext === 'mp3' ? 'audio/mpeg' : 'audio/wav', ext, declaredBytes: f.bytes };
    } catch (err) {
      if (err instanceof RecordingUnavailableError && /refusing/.test(err.message)) throw new PermanentFetchError(err.message);
      throw new RetryableFetchError((err as Error).message);
    }
  }
}
