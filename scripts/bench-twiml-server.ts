/**
 * The reference for `bench:voice`: bare node:http answering every POST with a static TwiML `<Dial>`, after reading
 * and parsing the form body (as any webhook must). No signature check, no routing, no write: the floor the
 * gateway's voice answer is compared with. Prints its port on stdout when ready.
 */
import { createServer } from 'node:http';

const TWIML = '<?xml version="1.0" encoding="UTF-8"?><Response><Dial answerOnBridge="true"><Number>+15550000002</Number></Dial></Response>';

const server = createServer((req, res) => {
  const chunks: Buffer[] = [];
  req.on('data', (c: Buffer) => chunks.push(c));
  req.on('end', () => {
    new URLSearchParams(Buffer.concat(chunks).toString('utf8'));
    res.writeHead(200, { 'Content-Type': 'text/xml; charset=utf-8', 'Content-Length': Buffer.byteLength(TWIML), 'Cache-Control': 'no-store' });
    res.end(TWIML);
  });
});
server.listen(0, '127.0.0.1', () => {
  process.stdout.write(`${(server.address() as { port: number }).port}\n`);
});
const stop = (): void => {
  server.close();
  process.exit(0);
};
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
