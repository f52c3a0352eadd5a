/**
 * AMI messages as the rest of the adapter sees them, whoever parsed the bytes (asterisk-manager on a live socket,
 * or our own stream parser for captures and the loopback server).
 *
 * Keys are lowercased: AMI keys are case-insensitive on input and asterisk-manager lowercases them anyway, so one
 * canonical case avoids `Uniqueid` vs `UniqueID` (Asterisk 11 uses both). Values are always strings (a Uniqueid such
 * as "1770888509.40" is never a number). Repeated keys keep their first value under the key itself and every value,
 * newline-joined, under `key[]`. Channel variables (`ChanVariable`, `DestChanVariable`, ... and `Variable: k=v`) are
 * also exposed as `<key>.<NAME>` (e.g. `chanvariable.FROM_DID`); the VarSet form `Variable: NAME` + `Value: v` keeps
 * `variable` = NAME.
 */
export type AmiMessage = Readonly<Record<string, string>>;

export const AMI_BANNER_PREFIX = 'Asterisk Call Manager/';

const VARIABLE_KEY = /(^variable|chanvariable)$/;

/** Builds a message from `Key: Value` lines (no terminator). Lines without ": " keep their text under `output[]`. */
export function messageFromLines(lines: readonly string[]): AmiMessage {
  const out: Record<string, string> = {};
  const add = (key: string, value: string): void => {
    if (out[key] === undefined) out[key] = value;
    const all = `${key}[]`;
    out[all] = out[all] === undefined ? value : `${out[all]}\n${value}`;
  };
  for (const line of lines) {
    let idx = line.indexOf(': ');
    let valueStart = idx + 2;
    if (idx < 0 && /^[A-Za-z0-9_()-]+:$/.test(line)) {
      idx = line.length - 1;
      valueStart = line.length;
    }
    if (idx <= 0) {
      if (line.length) add('output', line);
      continue;
    }
    const key = line.slice(0, idx).trim().toLowerCase();
    const value = line.slice(valueStart);
    add(key, value);
    if (VARIABLE_KEY.test(key)) {
      const eq = value.indexOf('=');
      if (eq > 0) out[`${key}.${value.slice(0, eq)}`] = value.slice(eq + 1);
    }
  }
  for (const k of Object.keys(out)) {
    if (k.endsWith('[]') && !out[k]!.includes('\n')) delete out[k];
  }
  return out;
}

/** Values of a possibly repeated key, in order. */
export function allValues(msg: AmiMessage, key: string): string[] {
  const all = msg[`${key}[]`];
  if (all !== undefined) return all.split('\n');
  const one = msg[key];
  return one === undefined ? [] : [one];
}

/**
 * Incremental parser for the AMI byte stream: CRLF or LF lines, a blank line ends a message, the banner line is
 * reported separately, and legacy `Response: Follows` bodies (Asterisk <= 13 `Command`) run to `--END COMMAND--`.
 */
export class AmiStreamParser {
  private buffer = '';
  private lines: string[] = [];
  private follows = false;
  banner: string | null = null;

  push(chunk: string): AmiMessage[] {
    this.buffer += chunk;
    const out: AmiMessage[] = [];
    let nl = this.buffer.indexOf('\n');
    while (nl >= 0) {
      const line = this.buffer.slice(0, nl).replace(/\r$/, '');
      this.buffer = this.buffer.slice(nl + 1);
      this.line(line, out);
      nl = this.buffer.indexOf('\n');
    }
    return out;
  }

  /** Flushes a final message that was not followed by a blank line (end of a capture file). */
  end(): AmiMessage[] {
    const out: AmiMessage[] = [];
    if (this.buffer.length) this.line(this.buffer.replace(/\r$/, ''), out);
    this.buffer = '';
    if (this.lines.length) out.push(this.finish());
    return out;
  }

  private line(line: string, out: AmiMessage[]): void {
    if (!this.lines.length && line.startsWith(AMI_BANNER_PREFIX)) {
      this.banner = line;
      return;
    }
    if (this.follows) {
      if (line === '--END COMMAND--') this.follows = false;
      else this.lines.push(line.includes(': ') && this.isHeaderZone() ? line : `Output: ${line}`);
      return;
    }
    if (line === '') {
      if (this.lines.length) out.push(this.finish());
      return;
    }
    if (!this.lines.length && /^response:\s*follows$/i.test(line)) this.follows = true;
    this.lines.push(line);
  }

  /** In a Follows body the first lines are still headers (Privilege, ActionID); free text follows. */
  private isHeaderZone(): boolean {
    return this.lines.every((l) => !l.startsWith('Output: '));
  }

  private finish(): AmiMessage {
    const msg = messageFromLines(this.lines);
    this.lines = [];
    this.follows = false;
    return msg;
  }
}

/** Parses a whole capture (file text) into messages; the banner and any trailing partial message are handled. */
export function parseCapture(text: string): AmiMessage[] {
  const parser = new AmiStreamParser();
  return [...parser.push(text), ...parser.end()];
}

/**
 * Splits a capture into its blocks of raw lines (blank-line separated, banner dropped, Follows bodies kept whole),
 * so a server can send them byte for byte as Asterisk did.
 */
export function splitCaptureBlocks(text: string): string[][] {
  const blocks: string[][] = [];
  let current: string[] = [];
  let follows = false;
  for (const raw of text.split('\n')) {
    const line = raw.replace(/\r$/, '');
    if (!current.length && line.startsWith(AMI_BANNER_PREFIX)) continue;
    if (follows) {
      current.push(line);
      if (line === '--END COMMAND--') follows = false;
      continue;
    }
    // Hand-edited captures may leave spaces on the separating line.
    if (line.trim() === '') {
      if (current.length) blocks.push(current);
      current = [];
      continue;
    }
    if (!current.length && /^response:\s*follows$/i.test(line)) follows = true;
    current.push(line);
  }
  if (current.length) blocks.push(current);
  return blocks;
}

export class AmiInjectionError extends Error {
  constructor(key: string) {
    super(`AMI header ${key} contains a line break`);
    this.name = 'AmiInjectionError';
  }
}

/** Serialises headers for the wire (CRLF, blank line). Refuses CR/LF in keys or values: they would inject headers. */
export function serializeAmi(headers: ReadonlyArray<readonly [string, string]>): string {
  let out = '';
  for (const [k, v] of headers) {
    if (/[\r\n]/.test(k) || /[\r\n]/.test(v) || !k) throw new AmiInjectionError(k.replace(/[\r\n]/g, ' '));
    out += `${k}: ${v}\r\n`;
  }
  return `${out}\r\n`;
}

/**
 * Converts an object parsed by asterisk-manager back into our shape, undoing its quirks: `variable` and
 * `chanvariable` become `{NAME: value}` objects (and VarSet's `Variable: NAME` becomes `{NAME: ''}`), other repeated
 * keys become arrays (`destchanvariable` as "K=V" strings). Keys are already lowercase there.
 */
export function fromManagerObject(obj: Readonly<Record<string, unknown>>): AmiMessage {
  const lines: string[] = [];
  for (const [key, value] of Object.entries(obj)) {
    if (value === undefined || value === null) continue;
    if (Array.isArray(value)) {
      for (const v of value) lines.push(`${key}: ${String(v)}`);
    } else if (typeof value === 'object') {
      for (const [name, v] of Object.entries(value as Record<string, unknown>)) {
        const text = String(v ?? '');
        lines.push(`${key}: ${text === '' ? name : `${name}=${text}`}`);
      }
    } else {
      lines.push(`${key}: ${String(value)}`);
    }
  }
  return messageFromLines(lines);
}

/** The event time: `Timestamp: <epoch.usec>` when Asterisk adds it (timestampevents = yes), else null. */
export function eventTimestamp(msg: AmiMessage): Date | null {
  const ts = msg['timestamp'];
  if (!ts || !/^\d+(\.\d+)?$/.test(ts)) return null;
  return new Date(Math.round(Number(ts) * 1000));
}
