/**
 * Resolving a recorded conflict: `ours` applies the refused proposal to the
 * current version, `theirs` keeps the current version, `merged` writes a
 * document the caller supplies. Each is checked against the version the
 * document was at when the conflict was recorded (or the one `If-Match`
 * names), and marks the conflict resolved in the same request as its write
 * (or, for `theirs`, its version check), only while the conflict is open:
 * a conflict is resolved once, and never marked resolved by a write that
 * did not happen.
 */
import { type Collection, storedBody } from './collections';
import { type ConflictInbox, type ConflictView, conflictView } from './conflicts';
import {
  type ConflictRecord,
  RESOLUTION_STRATEGIES,
  type ResolutionStrategy,
} from './conflicts-model';
import type { DocumentWriter, Operation, WriteOptions } from './document-writes';
import { isPlainObject } from './documents';
import { BadRequestError, ConflictResolvedError, type DomainError } from './errors';
import { hashIdempotencyKey } from './idempotency';
import type { ItemStore, JsonObject, JsonValue, WriteCondition } from './items-model';
import { etagOf } from './items-model';
import type { Patch } from './patch';
import { patchedBody } from './patched-body';
import { explainCondition, type Preconditions, writeCondition } from './preconditions';
import {
  type ConflictResolvePart,
  checkPlan,
  PlanRefusedError,
  type WritePlan,
} from './write-plan';

/** A resolution request's body: `{"strategy": "ours" | "theirs" | "merged", "document"?: {...}}`. */
export const parseResolution = (
  value: JsonValue,
): { strategy: ResolutionStrategy; document?: JsonValue } => {
  if (!isPlainObject(value)) throw new BadRequestError('the body must be a JSON object');
  const { strategy, document, ...rest } = value as JsonObject;
  const unknown = Object.keys(rest)[0];
  if (unknown !== undefined) throw new BadRequestError(`unknown member "${unknown}"`);
  if (!RESOLUTION_STRATEGIES.includes(strategy as ResolutionStrategy)) {
    throw new BadRequestError('strategy must be "ours", "theirs" or "merged"');
  }
  if ((strategy === 'merged') !== (document !== undefined)) {
    throw new BadRequestError('a "document" comes with the "merged" strategy, and only with it');
  }
  return {
    strategy: strategy as ResolutionStrategy,
    ...(document !== undefined ? { document } : {}),
  };
};

const PATCH_FORMATS: Record<string, Patch['format']> = {
  'application/merge-patch+json': 'merge',
  'application/json-patch+json': 'json',
};

/** How the refused proposal applies to the current version. */
const proposalWrite = (
  c: Collection,
  record: ConflictRecord,
): {
  operation: Operation;
  readFirst: boolean;
  bodyFor: Parameters<DocumentWriter['write']>[0]['bodyFor'];
} => {
  const { method, contentType, body } = record.proposal;
  if (method === 'DELETE') return { operation: 'delete', readFirst: false, bodyFor: () => null };
  if (method === 'PATCH') {
    const patch = { format: PATCH_FORMATS[contentType ?? ''] ?? 'merge', value: body } as Patch;
    return {
      operation: 'patch',
      readFirst: true,
      bodyFor: (current) => patchedBody(c, record.documentId, patch, current),
    };
  }
  const replacement = storedBody(c, body);
  return { operation: 'replace', readFirst: false, bodyFor: () => replacement };
};

export const createConflictResolution = ({
  collection,
  store,
  writer,
  inbox,
  now,
}: {
  collection: (name: string) => Collection;
  store: ItemStore;
  writer: DocumentWriter;
  inbox: ConflictInbox;
  now: () => number;
}) => ({
  /** Resolves an open conflict; see the module comment. */
  async resolveConflict(
    tenant: string,
    conflictId: string,
    value: JsonValue,
    p: Preconditions,
    options: WriteOptions = {},
  ): Promise<{ conflict: ConflictView; etag: string }> {
    const { strategy, document } = parseResolution(value);
    const record = await inbox.find(tenant, conflictId);
    const resolvedAlready = (version: number | undefined) =>
      new ConflictResolvedError(`conflict "${conflictId}" was resolved already`, version);
    const done = record.resolution;
    // A resolution that writes is replayed by the writer from its Idempotency-Key's
    // record (and refused by the conflict's condition otherwise); `theirs` writes
    // nothing, so a retry by the same key with the same strategy is answered as done.
    const keyHash = options.idempotency && hashIdempotencyKey(tenant, options.idempotency.key);
    const retried = done && keyHash !== undefined && done.keyHash === keyHash;
    if (done && retried && strategy === 'theirs' && done.strategy === 'theirs') {
      return { conflict: conflictView(record), etag: etagOf(done.version) };
    }
    if (done && !(retried && strategy !== 'theirs')) throw resolvedAlready(done.version);
    const c = collection(record.collection);
    const pinned = writeCondition(p).versionIn;
    if (pinned !== undefined && pinned.length !== 1) {
      throw new BadRequestError('If-Match must name one version of the document');
    }
    const expected = pinned?.[0] ?? record.currentVersion;
    if (expected === null) throw new BadRequestError('name the version to resolve with If-Match');
    const key = { tenant, collection: record.collection, id: record.documentId };
    const condition: WriteCondition = { mustExist: true, versionIn: [expected] };
    const version = strategy === 'theirs' ? expected : expected + 1;
    const resolution = {
      strategy,
      keyId: options.keyId ?? null,
      time: new Date(now()).toISOString(),
      version,
      ...(keyHash !== undefined ? { keyHash } : {}),
    };
    const part: ConflictResolvePart = { kind: 'conflict-resolve', tenant, conflictId, resolution };
    const explainRefusal = (error: PlanRefusedError, plan: WritePlan): DomainError | undefined => {
      const refused = error.refusalOf(plan, 'conflict-resolve');
      return refused ? resolvedAlready(refused.current?.resolution?.version) : undefined;
    };
    const resolved = { ...record, status: 'resolved' as const, resolution };
    if (strategy === 'theirs') {
      const plan = checkPlan({ parts: [{ kind: 'check', key, condition }, part] });
      try {
        await store.commit(plan);
      } catch (error) {
        if (!(error instanceof PlanRefusedError)) throw error;
        const explained = explainRefusal(error, plan);
        if (explained) throw explained;
        const refused = error.refusalOf(plan, 'check');
        throw explainCondition(condition, refused?.current, p) ?? error;
      }
      return { conflict: conflictView(resolved), etag: etagOf(version) };
    }
    const write =
      strategy === 'ours'
        ? proposalWrite(c, record)
        : {
            operation: 'replace' as const,
            readFirst: false,
            bodyFor: (
              (body: JsonObject) => () =>
                body
            )(storedBody(c, document ?? null)),
          };
    const written = await writer.write(
      {
        key,
        ...write,
        retention: c.config.history,
        unique: c.config.unique,
        condition,
        preconditions: p,
        sideParts: [part],
        explainRefusal,
      },
      options,
    );
    if (done && written.replayed)
      return { conflict: conflictView(record), etag: etagOf(done.version) };
    return { conflict: conflictView(resolved), etag: etagOf(version) };
  },
});
