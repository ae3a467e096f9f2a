/**
 * Versioned writers and the ledger that proves what survived a crash.
 *
 * Each writer owns its documents and replaces them with `PUT If-Match` in a
 * loop (and creates new ones with `If-None-Match: *`), so the only thing
 * that can move a document's version is the writer itself. Every attempt is
 * written down with the version it would make and its exact body, and
 * settles as acknowledged (2xx), refused (a 4xx: not applied), or unknown
 * (no answer, a 503, or a 5xx: applied or not). After a crash, `verify`
 * checks each document against the ledger: every acknowledged write is
 * there (the version is at least the last acknowledged one, whose body is
 * the stored one if nothing followed it), and whatever is stored is exactly
 * one attempt, whole: never a mix of two, never a version nobody wrote.
 */
import { isDeepStrictEqual } from 'node:util';

/**
 * acknowledged: answered 2xx. refused: answered 4xx, so not applied.
 * unknown: no answer, or a 5xx. applied / absent: an unknown write that a
 * later read found stored, or found not stored.
 */
export type Outcome = 'acknowledged' | 'refused' | 'unknown' | 'applied' | 'absent';

interface Attempt {
  /** The version this write makes if applied. */
  readonly version: number;
  readonly body: Record<string, unknown>;
  outcome: Outcome;
  /** Whether its answer left the outcome unknown (none, or a 5xx). */
  unsure?: boolean;
}

interface DocState {
  readonly id: string;
  readonly attempts: Attempt[];
  /** The version the writer believes is stored; undefined when it must read first. */
  known: number | undefined;
}

export interface Tally {
  requests: number;
  acknowledged: number;
  refused: number;
  unknown: number;
  /** Requests that got no answer at all (the connection failed). */
  noAnswer: number;
  /** Answers by status, e.g. { 200: 412, 503: 9 }. */
  readonly statuses: Record<number, number>;
  /** Every 5xx that was not a 503 problem+json with Retry-After, and every wrong 2xx. */
  readonly violations: string[];
}

export const newTally = (): Tally => ({
  requests: 0,
  acknowledged: 0,
  refused: 0,
  unknown: 0,
  noAnswer: 0,
  statuses: {},
  violations: [],
});

export interface Verification {
  /** Documents checked, and the acknowledged writes they had to hold. */
  readonly documents: number;
  readonly acknowledged: number;
  /** Writes of unknown outcome so far, found applied whole, or absent. */
  readonly unknownApplied: number;
  readonly unknownAbsent: number;
  readonly problems: readonly string[];
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** The document's fields other than `id` and `version`: what a write sets. */
const contentOf = (doc: Record<string, unknown>): Record<string, unknown> => {
  const { id: _id, version: _version, ...content } = doc;
  return content;
};

const DURABLE: ReadonlySet<Outcome> = new Set(['acknowledged', 'applied']);

export class Ledger {
  private readonly docs = new Map<string, DocState>();
  private created = 0;

  /** Starts writer `client`'s next document (created by its first write). */
  private newDocument(client: number): DocState {
    const doc: DocState = { id: `w${client}-d${++this.created}`, attempts: [], known: 0 };
    this.docs.set(doc.id, doc);
    return doc;
  }

  ids(): string[] {
    return [...this.docs.keys()];
  }

  /** What a read found: a write of unknown outcome that is stored was applied. */
  private observe(doc: DocState, version: number, content: Record<string, unknown> | undefined) {
    for (const attempt of doc.attempts) {
      const unsettled = attempt.outcome === 'unknown' || attempt.outcome === 'absent';
      if (unsettled && attempt.version === version && isDeepStrictEqual(content, attempt.body)) {
        attempt.outcome = 'applied';
      }
    }
  }

  /**
   * Checks each document's stored state (undefined: 404) against every
   * attempt made on it, and makes it what the writers start from next.
   */
  verify(stored: ReadonlyMap<string, Record<string, unknown> | undefined>): Verification {
    const problems: string[] = [];
    let acknowledged = 0;
    let unknownApplied = 0;
    let unknownAbsent = 0;
    for (const doc of this.docs.values()) {
      const current = stored.get(doc.id);
      const version = current === undefined ? 0 : Number(current.version);
      const content = current === undefined ? undefined : contentOf(current);
      this.observe(doc, version, content);
      acknowledged += doc.attempts.filter((a) => a.outcome === 'acknowledged').length;
      const lastDurable = doc.attempts.filter((a) => DURABLE.has(a.outcome)).at(-1);
      const floor = lastDurable?.version ?? 0;
      if (version < floor) {
        problems.push(
          `${doc.id}: at version ${version}, but version ${floor} was acknowledged or seen`,
        );
      } else if (
        lastDurable &&
        version === floor &&
        !isDeepStrictEqual(content, lastDurable.body)
      ) {
        problems.push(
          `${doc.id}: version ${version} holds ${JSON.stringify(content)}, not the acknowledged ${JSON.stringify(lastDurable.body)}`,
        );
      } else if (version > floor) {
        // Beyond what was confirmed, only a write of unknown outcome, and only whole.
        problems.push(
          `${doc.id}: version ${version} holds ${JSON.stringify(content)}, which no write made whole`,
        );
      }
      for (const attempt of doc.attempts) {
        if (attempt.outcome === 'unknown') attempt.outcome = 'absent';
        if (attempt.unsure && attempt.outcome === 'applied') unknownApplied++;
        if (attempt.unsure && attempt.outcome === 'absent') unknownAbsent++;
      }
      doc.known = version;
    }
    return { documents: this.docs.size, acknowledged, unknownApplied, unknownAbsent, problems };
  }

  /** Runs one writer until `stop()`; every attempt lands in the ledger and in `tally`. */
  async write(options: {
    readonly client: number;
    readonly baseUrl: string;
    readonly auth: Record<string, string>;
    readonly tally: Tally;
    readonly stop: () => boolean;
    /** How many documents the writer cycles through; it keeps adding new ones too. */
    readonly documents: number;
  }): Promise<void> {
    const { client, baseUrl, auth, tally, stop } = options;
    const mine = [...this.docs.values()].filter((d) => d.id.startsWith(`w${client}-`));
    for (let seq = 0; !stop(); seq++) {
      // A new document now and then: creates race the crash too.
      if (mine.length < options.documents || seq % 20 === 19) mine.push(this.newDocument(client));
      const doc = mine[seq % mine.length] as DocState;
      if (doc.known === undefined) {
        doc.known = await this.read(baseUrl, auth, doc, tally);
        if (doc.known === undefined) {
          await sleep(50);
          continue;
        }
      }
      const body = {
        writer: client,
        seq,
        note: `${client}.${seq}.${Math.random().toString(36).slice(2)}`,
      };
      const attempt: Attempt = { version: doc.known + 1, body, outcome: 'unknown' };
      doc.attempts.push(attempt);
      const precondition: Record<string, string> =
        doc.known === 0 ? { 'if-none-match': '*' } : { 'if-match': `"${doc.known}"` };
      tally.requests++;
      let status: number;
      let answer: Record<string, unknown> | undefined;
      try {
        const response = await fetch(`${baseUrl}/v1/items/${doc.id}`, {
          method: 'PUT',
          headers: { ...auth, 'content-type': 'application/json', ...precondition },
          body: JSON.stringify(body),
        });
        status = response.status;
        const text = await response.text();
        checkErrorAnswer(status, response.headers, text, tally);
        answer = status < 300 ? JSON.parse(text) : undefined;
      } catch {
        // No answer: the server or its database went away mid-request.
        attempt.unsure = true;
        tally.unknown++;
        tally.noAnswer++;
        doc.known = undefined;
        continue;
      }
      tally.statuses[status] = (tally.statuses[status] ?? 0) + 1;
      if (status < 300) {
        attempt.outcome = 'acknowledged';
        tally.acknowledged++;
        if (
          answer?.version !== attempt.version ||
          !isDeepStrictEqual(contentOf(answer ?? {}), body)
        ) {
          tally.violations.push(
            `${doc.id}: answered ${JSON.stringify(answer)} to ${JSON.stringify(attempt)}`,
          );
        }
        doc.known = attempt.version;
      } else if (status >= 500) {
        attempt.unsure = true;
        tally.unknown++;
        doc.known = undefined;
        await sleep(50);
      } else {
        // Refused, so not applied; a conflict means an earlier unknown write of ours landed.
        attempt.outcome = 'refused';
        tally.refused++;
        doc.known = undefined;
      }
    }
  }

  /** The stored version, settling an unknown last write; undefined when there was no answer. */
  private async read(
    baseUrl: string,
    auth: Record<string, string>,
    doc: DocState,
    tally: Tally,
  ): Promise<number | undefined> {
    try {
      tally.requests++;
      const response = await fetch(`${baseUrl}/v1/items/${doc.id}`, { headers: auth });
      const text = await response.text();
      tally.statuses[response.status] = (tally.statuses[response.status] ?? 0) + 1;
      checkErrorAnswer(response.status, response.headers, text, tally);
      if (response.status !== 200 && response.status !== 404) return undefined;
      const current = response.status === 200 ? JSON.parse(text) : undefined;
      const version = current === undefined ? 0 : Number(current.version);
      this.observe(doc, version, current && contentOf(current));
      return version;
    } catch {
      tally.noAnswer++;
      return undefined;
    }
  }
}

/** A 5xx must be a 503 problem+json with Retry-After: outages, never faults. */
const checkErrorAnswer = (status: number, headers: Headers, text: string, tally: Tally): void => {
  if (status < 500) return;
  const problem = headers.get('content-type') === 'application/problem+json';
  if (status !== 503 || !problem || !/^\d+$/.test(headers.get('retry-after') ?? '')) {
    tally.violations.push(`${status} ${headers.get('content-type')} ${text.slice(0, 200)}`);
  }
};

/** Every document's stored state through the API: the body, or undefined for 404. */
export const readAll = async (
  baseUrl: string,
  auth: Record<string, string>,
  ids: readonly string[],
): Promise<Map<string, Record<string, unknown> | undefined>> => {
  const stored = new Map<string, Record<string, unknown> | undefined>();
  for (const id of ids) {
    for (let attempt = 0; ; attempt++) {
      const response = await fetch(`${baseUrl}/v1/items/${id}`, { headers: auth });
      if (response.status === 200 || response.status === 404) {
        stored.set(id, response.status === 200 ? await response.json() : undefined);
        break;
      }
      await response.text();
      if (attempt >= 50) throw new Error(`GET ${id} answered ${response.status} 50 times`);
      await sleep(200);
    }
  }
  return stored;
};
