import { expect } from 'chai';
import { inspectAudio, makeWav } from './audio-info.js';

describe('inspectAudio', () => {
  it('reads channels, rate and exact duration of a PCM WAV', () => {
    expect(inspectAudio(makeWav({ seconds: 3.5, channels: 2 }))).to.deep.equal({
      format: 'wav',
      channels: 2,
      sampleRate: 8000,
      durationSeconds: 3.5,
    });
  });

  it('estimates an MP3 duration from its first frame', () => {
    // MPEG-1 Layer III, 32 kbit/s, 44.1 kHz, mono; 4 s of frames at 32 kbit/s = 16,000 bytes.
    const frame = Buffer.from([0xff, 0xfb, 0x10, 0xc4]);
    const file = Buffer.concat([frame, Buffer.alloc(16_000 - 4)]);
    const info = inspectAudio(file);
    expect(info).to.include({ format: 'mp3', channels: 1, sampleRate: 44100 });
    expect(info?.durationSeconds).to.equal(4);
  });

  it('rejects what is not audio', () => {
    expect(inspectAudio(Buffer.from('<html>Not found</html>'))).to.equal(null);
  });
});
