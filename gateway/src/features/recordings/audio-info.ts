/** What can be read from the start of an audio file without decoding it. */
export interface AudioInfo {
  readonly format: 'wav' | 'mp3';
  readonly channels: number;
  readonly sampleRate: number;
  /** Exact for PCM WAV; an estimate from the first frame's bitrate for MP3 (exact for constant bitrate). */
  readonly durationSeconds: number;
}

function wavInfo(buf: Buffer, totalBytes: number): AudioInfo | null {
  if (buf.length < 12 || buf.toString('ascii', 0, 4) !== 'RIFF' || buf.toString('ascii', 8, 12) !== 'WAVE') return null;
  let off = 12;
  let channels = 0;
  let sampleRate = 0;
  let byteRate = 0;
  while (off + 8 <= buf.length) {
    const id = buf.toString('ascii', off, off + 4);
    const size = buf.readUInt32LE(off + 4);
    if (id === 'fmt ' && off + 24 <= buf.length) {
      channels = buf.readUInt16LE(off + 10);
      sampleRate = buf.readUInt32LE(off + 12);
      byteRate = buf.readUInt32LE(off + 16);
    } else if (id === 'data') {
      if (!byteRate) return null;
      const dataBytes = Math.min(size, totalBytes - off - 8);
      return { format: 'wav', channels, sampleRate, durationSeconds: dataBytes / byteRate };
    }
    off += 8 + size + (size % 2);
  }
  return null;
}

// MPEG-1 Layer III bitrates (kbit/s) and sample rates; MPEG-2/2.5 use the lower table (telephony MP3s often do).
const MPEG1_L3 = [0, 32, 40, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320];
const MPEG2_L3 = [0, 8, 16, 24, 32, 40, 48, 56, 64, 80, 96, 112, 128, 144, 160];
const RATES: Record<number, number[]> = { 3: [44100, 48000, 32000], 2: [22050, 24000, 16000], 0: [11025, 12000, 8000] };

function mp3Info(buf: Buffer, totalBytes: number): AudioInfo | null {
  let off = 0;
  if (buf.toString('ascii', 0, 3) === 'ID3' && buf.length >= 10) {
    off = 10 + (((buf[6]! & 0x7f) << 21) | ((buf[7]! & 0x7f) << 14) | ((buf[8]! & 0x7f) << 7) | (buf[9]! & 0x7f));
  }
  for (let i = off; i + 4 <= Math.min(buf.length, off + 4096); i++) {
    if (buf[i] !== 0xff || (buf[i + 1]! & 0xe0) !== 0xe0) continue;
    const version = (buf[i + 1]! >> 3) & 3;
    const layer = (buf[i + 1]! >> 1) & 3;
    const bitrateIdx = buf[i + 2]! >> 4;
    const rateIdx = (buf[i + 2]! >> 2) & 3;
    if (version === 1 || layer !== 1 || bitrateIdx === 0 || bitrateIdx === 15 || rateIdx === 3) continue;
    const kbps = (version === 3 ? MPEG1_L3 : MPEG2_L3)[bitrateIdx]!;
    const sampleRate = RATES[version]![rateIdx]!;
    const channels = buf[i + 3]! >> 6 === 3 ? 1 : 2;
    return { format: 'mp3', channels, sampleRate, durationSeconds: ((totalBytes - i) * 8) / (kbps * 1000) };
  }
  return null;
}

/**
 * Reads the container header from the first bytes of a file (`head`, a few KB are enough) and the file's total size;
 * null when it is neither WAV nor MP3.
 */
export function inspectAudio(head: Buffer, totalBytes = head.length): AudioInfo | null {
  return wavInfo(head, totalBytes) ?? mp3Info(head, totalBytes);
}

/** A PCM WAV file of silence-with-a-tone, for tests and demos. */
export function makeWav(opts: { seconds: number; channels: number; sampleRate?: number }): Buffer {
  const rate = opts.sampleRate ?? 8000;
  const frames = Math.round(opts.seconds * rate);
  const data = Buffer.alloc(frames * opts.channels * 2);
  for (let f = 0; f < frames; f++) {
    for (let c = 0; c < opts.channels; c++) {
      data.writeInt16LE(Math.round(8000 * Math.sin((2 * Math.PI * (440 + 220 * c) * f) / rate)), (f * opts.channels + c) * 2);
    }
  }
  const header = Buffer.alloc(44);
  header.write('RIFF', 0, 'ascii');
  header.writeUInt32LE(36 + data.length, 4);
  header.write('WAVE', 8, 'ascii');
  header.write('fmt ', 12, 'ascii');
  header.writeUInt32LE(16, 16);
  header.writeUInt16LE(1, 20);
  header.writeUInt16LE(opts.channels, 22);
  header.writeUInt32LE(rate, 24);
  header.writeUInt32LE(rate * opts.channels * 2, 28);
  header.writeUInt16LE(opts.channels * 2, 32);
  header.writeUInt16LE(16, 34);
  header.write('data', 36, 'ascii');
  header.writeUInt32LE(data.length, 40);
  return Buffer.concat([header, data]);
}
