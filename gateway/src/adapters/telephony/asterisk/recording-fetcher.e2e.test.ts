import { appendFileSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { buffer } from 'node:stream/consumers';
import { expect } from 'chai';
import { AsteriskRecordingFetcher, RecordingUnavailableError, spoolRelativePath } from './recording-fetcher.js';

const PBX_PATH = '/var/spool/asterisk/monitor/2026/11/22/15551230000-1770888509.40.wav';

describe('AsteriskRecordingFetcher', () => {
  it('maps PBX paths into the spool and refuses escapes', () => {
    expect(spoolRelativePath(PBX_PATH)).to.equal('2026/11/22/15551230000-1770888509.40.wav');
    expect(spoolRelativePath('in-1.wav')).to.equal('in-1.wav');
    expect(() => spoolRelativePath('/var/spool/asterisk/monitor/../../etc/passwd')).to.throw(RecordingUnavailableError);
  });

  it('waits until a file in the mounted spool stops growing', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'spool-'));
    const file = path.join(dir, '2026', '11', '22', '15551230000-1770888509.40.wav');
    mkdirSync(path.dirname(file), { recursive: true });
    writeFileSync(file, 'RIFF');
    let writes = 0;
    // MixMonitor still writing: the file grows until the call ends.
    const writer = setInterval(() => {
      if (writes++ < 5) appendFileSync(file, 'data');
      else clearInterval(writer);
    }, 20);
    const fetcher = new AsteriskRecordingFetcher({ dir, baseUrl: null, stableMs: 150, pollMs: 10, timeoutMs: 5_000 });
    const rec = await fetcher.open(PBX_PATH);
    clearInterval(writer);
    const body = await buffer(rec.stream);
    expect(body.toString()).to.equal(readFileSync(file, 'utf8'));
    expect(rec.bytes).to.equal(4 + 5 * 4);
  });

  it('gives up with a clear error when the file never appears', async () => {
    const fetcher = new AsteriskRecordingFetcher({
      dir: mkdtempSync(path.join(tmpdir(), 'spool-')),
      baseUrl: null,
      stableMs: 10,
      pollMs: 10,
      timeoutMs: 100,
    });
    const err = await fetcher.open(PBX_PATH).catch((e: unknown) => e);
    expect(err).to.be.instanceOf(RecordingUnavailableError);
  });

  it('fetches over HTTP from the PBX once it is there', async () => {
    let heads = 0;
    const server = createServer((req, res) => {
      expect(req.url).to.equal('/recordings/2026/11/22/15551230000-1770888509.40.wav');
      if (req.method === 'HEAD' && heads++ < 2) {
        res.writeHead(404).end();
        return;
      }
      res.writeHead(200, { 'content-type': 'audio/wav', 'content-length': '8' }).end(req.method === 'HEAD' ? undefined : 'RIFFdata');
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    try {
      const port = (server.address() as AddressInfo).port;
      const fetcher = new AsteriskRecordingFetcher({
        dir: null,
        baseUrl: new URL(`http://127.0.0.1:${port}/recordings`),
        stableMs: 30,
        pollMs: 10,
        timeoutMs: 5_000,
      });
      const rec = await fetcher.open(PBX_PATH);
      expect((await buffer(rec.stream)).toString()).to.equal('RIFFdata');
      expect(heads).to.be.greaterThan(2);
    } finally {
      await new Promise((r) => server.close(r));
    }
  });
});
