/**
 * A short two-voice "conversation" as 8 kHz 16-bit mono PCM WAV, built in code so the demo has a recording that plays
 * and seeks without Twilio or a PBX. Turns alternate between a lower and a higher voice-band tone with a syllable-like
 * envelope and gaps of silence; the header is the canonical 44-byte RIFF/WAVE layout (fmt chunk PCM = 1).
 */
export function demoConversationWav(seconds = 24, sampleRate = 8000): Buffer {
  const n = Math.round(seconds * sampleRate);
  const pcm = Buffer.alloc(n * 2);
  const turn = 3; // seconds per speaker turn
  for (let i = 0; i < n; i++) {
    const t = i / sampleRate;
    const inTurn = t % turn;
    const speaker = Math.floor(t / turn) % 2;
    let v = 0;
    if (inTurn > 0.35 && inTurn < turn - 0.4) {
      const base = speaker ? 220 : 140;
      const syllable = 0.5 - 0.5 * Math.cos(2 * Math.PI * 4 * inTurn); // ~4 syllables a second
      const f = base * (1 + 0.08 * Math.sin(2 * Math.PI * 0.7 * t));
      v = syllable * (0.55 * Math.sin(2 * Math.PI * f * t) + 0.25 * Math.sin(2 * Math.PI * 2 * f * t) + 0.12 * Math.sin(2 * Math.PI * 3 * f * t));
    }
    pcm.writeInt16LE(Math.round(Math.max(-1, Math.min(1, v * 0.6)) * 32767), i * 2);
  }
  const header = Buffer.alloc(44);
  header.write('RIFF', 0, 'ascii');
  header.writeUInt32LE(36 + pcm.length, 4);
  header.write('WAVE', 8, 'ascii');
  header.write('fmt ', 12, 'ascii');
  header.writeUInt32LE(16, 16);
  header.writeUInt16LE(1, 20); // PCM
  header.writeUInt16LE(1, 22); // mono
  header.writeUInt32LE(sampleRate, 24);
  header.writeUInt32LE(sampleRate * 2, 28);
  header.writeUInt16LE(2, 32);
  header.writeUInt16LE(16, 34);
  header.write('data', 36, 'ascii');
  header.writeUInt32LE(pcm.length, 40);
  return Buffer.concat([header, pcm]);
}
