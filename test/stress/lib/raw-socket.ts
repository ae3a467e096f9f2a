/**
 * Bytes written straight to a TCP socket, for requests no HTTP client would
 * send (broken framing, bad header syntax, control bytes, CONNECT), and the
 * first answer read back from whatever the server writes before it closes.
 */
import { connect } from 'node:net';

export interface RawAnswer {
  /** Undefined when the server closed without answering. */
  readonly status: number | undefined;
  /** Lowercase names of the first answer. */
  readonly headers: Readonly<Record<string, string>>;
  readonly body: Buffer;
  readonly elapsedMs: number;
  /** True when nothing came back before `timeoutMs`. */
  readonly timedOut: boolean;
}

/** Reads a chunked body; undefined while incomplete. */
const unchunk = (data: Buffer): Buffer | undefined => {
  const parts: Buffer[] = [];
  let at = 0;
  for (;;) {
    const eol = data.indexOf('\r\n', at);
    if (eol === -1) return undefined;
    const size = Number.parseInt(data.subarray(at, eol).toString('latin1'), 16);
    if (!Number.isFinite(size)) return Buffer.concat(parts);
    if (size === 0) return Buffer.concat(parts);
    if (data.length < eol + 2 + size) return undefined;
    parts.push(data.subarray(eol + 2, eol + 2 + size));
    at = eol + 2 + size + 2;
  }
};

/** The first complete answer in `data`, if there is one yet. */
const parseAnswer = (
  data: Buffer,
  closed: boolean,
  head: boolean,
): { status: number; headers: Record<string, string>; body: Buffer } | undefined => {
  const end = data.indexOf('\r\n\r\n');
  if (end === -1) return undefined;
  const [statusLine = '', ...lines] = data.subarray(0, end).toString('latin1').split('\r\n');
  const status = Number(/^HTTP\/\d\.\d (\d{3})/.exec(statusLine)?.[1]);
  if (!Number.isFinite(status)) return undefined;
  const headers: Record<string, string> = {};
  for (const line of lines) {
    const colon = line.indexOf(':');
    if (colon > 0) {
      const name = line.slice(0, colon).trim().toLowerCase();
      const value = line.slice(colon + 1).trim();
      headers[name] = headers[name] === undefined ? value : `${headers[name]}, ${value}`;
    }
  }
  const rest = data.subarray(end + 4);
  // 1xx answers are interim: the final one follows them.
  if (status < 200) return parseAnswer(rest, closed, head);
  if (head || status === 204 || status === 304) {
    return { status, headers, body: Buffer.alloc(0) };
  }
  const length = headers['content-length'];
  if (length !== undefined) {
    const n = Number(length);
    return rest.length >= n ? { status, headers, body: rest.subarray(0, n) } : undefined;
  }
  if (/chunked/i.test(headers['transfer-encoding'] ?? '')) {
    const body = unchunk(rest);
    return body ? { status, headers, body } : undefined;
  }
  return closed ? { status, headers, body: rest } : undefined;
};

/**
 * Writes `bytes` to the server and resolves with its first answer, once the
 * answer is complete, the server closes, or `timeoutMs` passes.
 */
export const rawExchange = (
  port: number,
  bytes: Buffer,
  timeoutMs: number,
  host = '127.0.0.1',
): Promise<RawAnswer> =>
  new Promise((resolve) => {
    const started = performance.now();
    // The answer to HEAD announces a length but carries no body.
    const head = bytes.subarray(0, 5).toString('latin1') === 'HEAD ';
    const socket = connect(port, host);
    let data = Buffer.alloc(0);
    let done = false;
    const finish = (closed: boolean, timedOut = false) => {
      if (done) return;
      const answer = parseAnswer(data, closed, head);
      if (!answer && !closed && !timedOut) return;
      done = true;
      clearTimeout(timer);
      socket.destroy();
      resolve({
        status: answer?.status,
        headers: answer?.headers ?? {},
        body: answer?.body ?? Buffer.alloc(0),
        elapsedMs: performance.now() - started,
        timedOut: timedOut && !answer,
      });
    };
    const timer = setTimeout(() => finish(true, true), timeoutMs);
    socket.on('data', (chunk: Buffer) => {
      data = Buffer.concat([data, chunk]);
      finish(false);
    });
    socket.on('error', () => finish(true));
    socket.on('close', () => finish(true));
    socket.on('connect', () => socket.write(bytes));
  });
