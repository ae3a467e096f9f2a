/**
 * Valid writes of every kind for a document in a known state, each with what
 * it must leave in the table if it happens: creates, If-Match replaces,
 * merge and JSON patches, deletes (with or without an Idempotency-Key) and
 * lease acquire, renew and release.
 */
import type { JsonObject } from '../../../functions/core/items-model';
import { uniqueName } from '../../helpers/local-dynamo';
import {
  type Expected,
  expectAcquire,
  expectRelease,
  expectRenew,
  expectWrite,
  lockTokenOf,
  type Snapshot,
} from './document-records';

export interface PlanOptions {
  readonly random: () => number;
  /** Chance that a document write carries an Idempotency-Key. */
  readonly keyedChance: number;
  /** Prefix of the Idempotency-Keys made. */
  readonly keyPrefix: string;
  /** Only these kinds, when the document's state allows one (default: any). */
  readonly kinds?: readonly Kind[];
}

export type Kind =
  | 'create (POST)'
  | 'create (PUT If-None-Match: *)'
  | 'replace (PUT If-Match)'
  | 'merge patch'
  | 'JSON patch'
  | 'delete'
  | 'lease acquire'
  | 'lease renew'
  | 'lease release';

export interface Planned {
  readonly kind: Kind;
  readonly keyed?: string;
  readonly method: string;
  readonly path: string;
  readonly headers: Record<string, string>;
  readonly body?: string;
  readonly status: number;
  readonly expected: Expected;
  /** The document a successful write answers with. */
  readonly view?: JsonObject;
}

const json = (value: unknown) => JSON.stringify(value);

/** A valid request for the document's current state, and what it should leave behind. */
export const planWrite = (
  id: string,
  before: Snapshot | undefined,
  { random, keyedChance, keyPrefix, kinds }: PlanOptions,
): Planned => {
  const int = (max: number) => Math.floor(random() * max);
  const path = `/v1/items/${id}`;
  const lock = lockTokenOf(before);
  const auth: Record<string, string> = lock ? { 'lock-token': lock } : {};
  const content = { 'content-type': 'application/json' };
  const keyed = random() < keyedChance ? `${keyPrefix}-${int(1e9)}` : undefined;
  const key: Record<string, string> = keyed ? { 'idempotency-key': keyed } : {};
  const version = before?.version ?? 0;
  const fresh = (): JsonObject => ({ n: int(1000), log: [], note: uniqueName('note') });
  const writeOf = (
    kind: Kind,
    method: string,
    headers: Record<string, string>,
    body: unknown,
    result: JsonObject | null,
    status: number,
  ): Planned => ({
    kind,
    ...(keyed ? { keyed } : {}),
    method,
    path: kind === 'create (POST)' ? '/v1/items' : path,
    headers: { ...headers, ...auth, ...key },
    body: json(body),
    status,
    expected: expectWrite(before, result),
    ...(result ? { view: { id, version: version + 1, ...result } } : {}),
  });

  const allowed = (choices: Kind[]): Kind[] => {
    const left = choices.filter((kind) => !kinds || kinds.includes(kind));
    return left.length > 0 ? left : choices;
  };
  const choose = (choices: Kind[]): Kind => {
    const left = allowed(choices);
    return left[int(left.length)] as Kind;
  };

  if (!before?.live) {
    const body = fresh();
    return choose(['create (POST)', 'create (PUT If-None-Match: *)']) === 'create (POST)'
      ? writeOf('create (POST)', 'POST', content, { id, ...body }, body, 201)
      : writeOf(
          'create (PUT If-None-Match: *)',
          'PUT',
          { ...content, 'if-none-match': '*' },
          body,
          body,
          201,
        );
  }
  const current = before.body ?? {};
  const ifMatch = { 'if-match': `"${version}"` };
  const ttl = json({ ttlSeconds: 300 });
  const lease = `${path}/lock`;
  const leaseKind: Kind = !lock
    ? 'lease acquire'
    : random() < 0.5
      ? 'lease renew'
      : 'lease release';
  const kind = choose([leaseKind, 'replace (PUT If-Match)', 'merge patch', 'JSON patch', 'delete']);
  switch (kind) {
    case 'lease acquire':
      return {
        kind,
        method: 'POST',
        path: lease,
        headers: content,
        body: ttl,
        status: 200,
        expected: expectAcquire(before),
      };
    case 'lease renew':
      return {
        kind,
        method: 'PUT',
        path: lease,
        headers: { ...content, 'lock-token': lock ?? '' },
        body: ttl,
        status: 200,
        expected: expectRenew(before),
      };
    case 'lease release':
      return {
        kind,
        method: 'DELETE',
        path: lease,
        headers: { 'lock-token': lock ?? '' },
        status: 204,
        expected: expectRelease(before),
      };
    case 'merge patch': {
      const n = int(1000);
      const dropNote = random() < 0.5;
      const { note: _note, ...rest } = current;
      const result = dropNote ? { ...rest, n } : { ...current, n };
      const patch = dropNote ? { n, note: null } : { n };
      const headers = { 'content-type': 'application/merge-patch+json', ...ifMatch };
      return writeOf(kind, 'PATCH', headers, patch, result, 200);
    }
    case 'JSON patch': {
      const n = int(1000);
      const log = Array.isArray(current.log) ? current.log : [];
      const grow = log.length < 12;
      const ops = [
        { op: 'test', path: '/version', value: version },
        { op: 'replace', path: '/n', value: n },
        grow
          ? { op: 'add', path: '/log/-', value: n }
          : { op: 'replace', path: '/log', value: [n] },
      ];
      const result = { ...current, n, log: grow ? [...log, n] : [n] };
      const headers = { 'content-type': 'application/json-patch+json', ...ifMatch };
      return writeOf(kind, 'PATCH', headers, ops, result, 200);
    }
    case 'delete':
      return { ...writeOf(kind, 'DELETE', ifMatch, undefined, null, 204), body: undefined };
    default: {
      const body = fresh();
      return writeOf('replace (PUT If-Match)', 'PUT', { ...content, ...ifMatch }, body, body, 200);
    }
  }
};
