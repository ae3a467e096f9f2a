/**
 * Every write of a document goes through here: it becomes one plan (the
 * document change and its side records) sent as one request.
 *
 * A transaction returns nothing, so a write must know the version it writes
 * before sending: it is pinned to the version it replaces. A single strong
 * If-Match tag (or a body `version`) pins it; a create expects an id that
 * never existed, and when the refusal shows a tombstone instead, tries once
 * more pinned to the tombstone's version. Only where nothing pins the
 * version (If-Match: *, several tags, If-None-Match with tags, an
 * unconditional PUT) or the write needs what is stored (the document a
 * patch applies to, the version a restore writes, the old unique values a
 * write releases) is it read first, together with the idempotency record of
 * its key; when others write in between, the refusal carries their version
 * and the write is tried again on it, a few times.
 *
 * A refusal is explained part by part: the idempotency record first (a
 * duplicate is answered with the stored result, never as a conflict with
 * its own write), then the document, then unique values.
 */
import type { HistoryRetention } from './config';
import type { StalePolicy, WriteReport } from './conflict-policy';
import { createDocumentTurns, type DocumentTurn, type DocumentTurns } from './document-turns';
import {
  type DomainError,
  NotFoundError,
  UniqueViolationError,
  VersionMismatchError,
} from './errors';
import { type HistoryEntry, historyParts, lifecycleOf, type Operation } from './history';
import {
  commitOrReplay,
  hashIdempotencyKey,
  type IdempotencyRequest,
  type IdempotentResult,
  idempotencyRecordOf,
  isLive as isLiveRecord,
  replayOf,
} from './idempotency';
import {
  type ItemKey,
  type ItemStore,
  type ItemView,
  type JsonObject,
  type LockToken,
  type Snapshot,
  type StoredItem,
  viewOf,
  type WriteCondition,
} from './items-model';
import { explainCondition, type Preconditions } from './preconditions';
import { uniqueParts } from './unique';
import {
  checkPlan,
  type DocumentPart,
  type PlanPart,
  PlanRefusedError,
  type WritePlan,
  writtenVersion,
} from './write-plan';

export type { Operation };

/** What a write may carry besides its preconditions. */
export interface WriteOptions {
  /** Makes the write retry-safe: a repeat answers with the first result. */
  readonly idempotency?: IdempotencyRequest | undefined;
  /** Lets the write through the caller's lease; a stale fencing token is refused. */
  readonly lockToken?: LockToken | undefined;
  /** The API key the write comes through, for the history entry. */
  readonly keyId?: string | undefined;
}

export interface WriteResult {
  readonly item: ItemView;
  /** True when no live document had this id before. */
  readonly created: boolean;
  /** True when this is the stored answer to an earlier request with the same Idempotency-Key. */
  readonly replayed?: boolean;
  /** Set when the write was stale and the collection's conflict policy merged or applied it. */
  readonly report?: WriteReport;
}

export interface DocumentWrite {
  readonly key: ItemKey;
  readonly operation: Operation;
  /** What the client's preconditions require of the current record. */
  readonly condition: WriteCondition;
  readonly preconditions: Preconditions;
  /**
   * The body to write (null: a tombstone), given the record it replaces and
   * the history entry of `readVersion`; may refuse with a domain error.
   */
  readonly bodyFor: (
    current: StoredItem | undefined,
    entry: HistoryEntry | undefined,
  ) => JsonObject | null;
  /** The body depends on the current document, so it is read before the first attempt. */
  readonly readFirst?: boolean;
  /** A version whose history entry is read with the document (and so before the first attempt). */
  readonly readVersion?: number;
  /** The collection's history retention. */
  readonly retention: HistoryRetention;
  /** The collection's unique fields. */
  readonly unique?: readonly string[] | undefined;
  /** What to do instead of refusing when `If-Match` names an older version; refused without. */
  readonly stale?: StalePolicy | undefined;
  /** Records that commit with the document change (e.g. the resolution of a conflict). */
  readonly sideParts?: readonly PlanPart[];
  /** Explains a refusal of a side part, before the document's refusal is looked at. */
  readonly explainRefusal?: (error: PlanRefusedError, plan: WritePlan) => DomainError | undefined;
}

/** Attempts when the version read (or guessed) keeps being replaced by others. */
export const WRITE_ATTEMPTS = 3;

/**
 * A stale write the conflict policy resolves is tried again while others
 * keep writing, up to this many times and within this time: each attempt
 * costs one conditional write (the refusal brings the newer version), after
 * a full-jitter wait, so many writers of one hot document (counters) get
 * through instead of answering 409.
 */
export const RESOLVE_ATTEMPTS = 64;
export const RESOLVE_BUDGET_MS = 4_000;

/** Full jitter below 10 ms × 2^retry, at most 320 ms (the client's `update()` waits alike). */
export const resolveBackoffMs = (retry: number, random: () => number): number =>
  random() * Math.min(320, 10 * 2 ** Math.min(retry, 5));

const defaultSleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

const isLive = (item: StoredItem | undefined): boolean => item !== undefined && !item.deleted;

/**
 * The version the client's condition pins, if it pins one: a single strong
 * tag (or a body `version`); null for a create, which expects an id that
 * never existed. Undefined when the current version must be read.
 */
export const pinOf = (condition: WriteCondition): number | null | undefined => {
  if (condition.versionIn?.length === 1) return condition.versionIn[0];
  if (condition.mustBeAbsent && !condition.versionIn && !condition.versionNotIn) return null;
  return undefined;
};

const replayed = (result: IdempotentResult): WriteResult => {
  if (result.kind !== 'document') throw new Error('a document write stored another kind of result');
  return { item: result.item, created: result.created, replayed: true };
};

/** The unique fields a refused plan could not release: another document holds their old value. */
const heldElsewhere = (error: PlanRefusedError, plan: WritePlan): string[] =>
  plan.parts.flatMap((part, i) =>
    part.kind === 'unique-release' && error.refusals[i] ? [part.field] : [],
  );

/** The history entry a plan writes, if it writes one. */
const historyEntryOf = (plan: WritePlan): HistoryEntry | undefined => {
  for (const part of plan.parts) if (part.kind === 'history') return part.entry;
  return undefined;
};

/** Without the version the client named: what a write the conflict policy resolves must meet. */
const withoutVersion = (condition: WriteCondition): WriteCondition => {
  const { versionIn: _named, ...rest } = condition;
  return rest;
};

export interface DocumentWriterOptions {
  readonly store: ItemStore;
  readonly now: () => number;
  /** Waits between attempts of a resolved stale write. */
  readonly sleep?: (ms: number) => Promise<void>;
  readonly random?: () => number;
  /** Where stale writes a policy resolves wait for one another; one per process by default. */
  readonly turns?: DocumentTurns;
}

export const createDocumentWriter = ({
  store,
  now,
  sleep = defaultSleep,
  random = Math.random,
  turns = createDocumentTurns(),
}: DocumentWriterOptions) => ({
  /** Writes one document change as one plan; a refusal becomes the error that explains it. */
  async write(write: DocumentWrite, options: WriteOptions = {}): Promise<WriteResult> {
    const { key, preconditions: p } = write;
    const unique = write.unique ?? [];
    const idem = options.idempotency;
    const started = now();
    // Every write also respects leases: only the holder writes while one is held.
    const condition: WriteCondition = {
      ...write.condition,
      lease: { now: started, ...(options.lockToken ? { token: options.lockToken } : {}) },
    };
    const guess = pinOf(write.condition);
    // The version a stale write names, whose history entry a merge needs as its base.
    const named = write.stale && typeof guess === 'number' ? guess : undefined;
    // Releasing unique values needs the old ones; only a create has none to release.
    const readFirst =
      write.readFirst || write.readVersion !== undefined || (unique.length > 0 && guess !== null);
    const pin = readFirst ? undefined : guess;
    /** The record the write replaces, when known (read, or returned with a refusal). */
    let base: { readonly item: StoredItem | undefined } | undefined;
    let entry: HistoryEntry | undefined;
    /** Set once the write is known to be stale and its conflict policy takes it over. */
    let resolving: { readonly entry: HistoryEntry | undefined } | undefined;
    let report: WriteReport | undefined;
    let active = condition;
    /** Whether the policy takes this refusal: the client named an older version than `current`. */
    const takesOver = (failure: DomainError, current: StoredItem | undefined): boolean =>
      named !== undefined &&
      resolving === undefined &&
      failure instanceof VersionMismatchError &&
      current !== undefined &&
      !current.deleted &&
      current.version > named &&
      explainCondition(withoutVersion(condition), current, p) === undefined;
    /** Held while a write the policy could resolve runs: writers of the document in this process take turns. */
    let turn: DocumentTurn | undefined;
    try {
      if (pin === undefined) {
        const wantBase = write.stale?.needsBase ? named : undefined;
        let snapshot: Snapshot | undefined;
        if (write.stale && named !== undefined && !idem && write.readVersion === undefined) {
          // What the writer before us in this process wrote is what a read would
          // find (the write's condition checks it): no read when it is known.
          turn = await turns.enter(key);
          const latest = turn.latest();
          const baseEntry = wantBase !== undefined ? turn.entry(wantBase) : undefined;
          // Only what the write's condition checks: a refusal judged from what
          // is known here (a lease since released, say) is read instead.
          const failure = latest && explainCondition(condition, latest, p);
          const usable = latest && (!failure || takesOver(failure, latest));
          if (usable && !latest.deleted && latest.version >= named) {
            if (wantBase === undefined) snapshot = { item: latest };
            else if (baseEntry) snapshot = { item: latest, entry: baseEntry };
          }
        }
        snapshot ??= await store.snapshot(key, {
          keyHash: idem && hashIdempotencyKey(key.tenant, idem.key),
          version: write.readVersion ?? wantBase,
        });
        if (idem && snapshot.record && isLiveRecord(snapshot.record, started)) {
          return replayed(replayOf(snapshot.record, idem));
        }
        base = { item: snapshot.item };
        entry = snapshot.entry;
        const failure = explainCondition(condition, base.item, p);
        if (failure && takesOver(failure, base.item)) {
          resolving = { entry: wantBase !== undefined ? snapshot.entry : undefined };
          active = withoutVersion(condition);
        } else if (failure) throw failure;
      }
      /** A write pinned to `named` met the newer `current`: the policy resolves it from here on. */
      const takeOver = async (current: StoredItem): Promise<void> => {
        let baseEntry: HistoryEntry | undefined;
        let item: StoredItem | undefined = current;
        const known = named !== undefined ? turn?.entry(named) : undefined;
        if (write.stale?.needsBase && entry?.version === named) {
          // Read with the document already (a patch): the base it names is at hand.
          baseEntry = entry;
        } else if (write.stale?.needsBase && known) {
          // Written by this process, recently: as good as read.
          baseEntry = known;
        } else if (write.stale?.needsBase) {
          // Read the base the merge needs (and the document again, with it).
          const snapshot = await store.snapshot(key, { version: named });
          baseEntry = snapshot.entry;
          item = snapshot.item;
          const moved = explainCondition(withoutVersion(condition), item, p);
          if (moved) throw moved;
        }
        resolving = { entry: baseEntry };
        active = withoutVersion(condition);
        base = { item };
      };
      const skipRelease = new Set<string>();
      let resolveAttempt = 0;
      for (let attempt = 1; ; attempt++) {
        if (write.stale && named !== undefined) {
          // A write the policy could resolve: writers of the document in this
          // process take turns, and the one before us may have written a newer
          // version. Start from it rather than be refused by it.
          turn ??= await turns.enter(key);
          const newer = turn.newerThan(base?.item?.version ?? named);
          if (newer && resolving) base = { item: newer };
          else if (newer) {
            const failure = explainCondition(active, newer, p);
            if (failure && takesOver(failure, newer)) await takeOver(newer);
          }
        }
        const expectedVersion = base ? (base.item?.version ?? null) : (pin ?? null);
        let body: JsonObject | null;
        if (resolving && write.stale && named !== undefined && base?.item) {
          const resolution = write.stale.resolve(base.item, named, resolving.entry);
          body = resolution.body;
          report = resolution.report;
        } else {
          body = write.bodyFor(base?.item, entry);
        }
        const created = base ? !isLive(base.item) : expectedVersion === null;
        const before = base?.item && !base.item.deleted ? base.item.body : undefined;
        const at = now();
        const document: DocumentPart = {
          kind: 'document',
          key,
          body,
          condition: { ...active, expectedVersion },
          at: new Date(at).toISOString(),
          ...lifecycleOf(write.retention, at, body === null),
        };
        const stored: StoredItem = {
          id: key.id,
          version: writtenVersion(document),
          deleted: body === null,
          body: body ?? {},
          updatedAt: new Date(at).toISOString(),
          // A document write leaves the lease as it was.
          ...(base?.item?.lease ? { lease: base.item.lease } : {}),
          ...(base?.item?.fencing !== undefined ? { fencing: base.item.fencing } : {}),
        };
        const written = viewOf(stored);
        const parts: PlanPart[] = [
          document,
          // A PUT that makes the document (If-None-Match: *, an upsert) is its create.
          ...historyParts(
            document,
            write.operation === 'replace' && created ? 'create' : write.operation,
            write.retention,
            options.keyId,
          ),
          ...uniqueParts(key, unique, before, body, skipRelease),
          ...(write.sideParts ?? []),
        ];
        if (idem) {
          parts.push({
            kind: 'idempotency',
            tenant: key.tenant,
            record: idempotencyRecordOf(
              key.tenant,
              idem,
              { kind: 'document', item: written, created },
              at,
            ),
            now: Math.floor(at / 1000),
          });
        }
        const plan = checkPlan({ parts });
        try {
          const committed = await commitOrReplay(store, plan, idem);
          if (committed.kind === 'replayed') return replayed(committed.result);
          // Known here from now on: the base of a later stale write, read or not.
          if (turn) turn.saw(stored, historyEntryOf(plan));
          else turns.remember(key, stored, historyEntryOf(plan));
          return { item: written, created, ...(report ? { report } : {}) };
        } catch (error) {
          // The idempotency record was judged first (commitOrReplay); then the document.
          if (!(error instanceof PlanRefusedError)) throw error;
          const explained = write.explainRefusal?.(error, plan);
          if (explained) throw explained;
          const refused = error.refusalOf(plan, 'document');
          if (refused) {
            const current = refused.current;
            const failure = explainCondition(active, current, p);
            turn?.saw(current);
            if (current && failure && takesOver(failure, current)) {
              await takeOver(current);
              continue;
            }
            if (failure) throw failure;
            if (resolving) {
              // Others wrote in between: resolve again against their version, a bounded number of times.
              if (++resolveAttempt >= RESOLVE_ATTEMPTS || now() - started > RESOLVE_BUDGET_MS) {
                throw current && !current.deleted
                  ? new VersionMismatchError(
                      `the document kept changing; it is at version ${current.version}`,
                      viewOf(current),
                    )
                  : new NotFoundError('the document changed while it was written');
              }
              turn?.saw(current);
              await sleep(resolveBackoffMs(resolveAttempt, random));
              base = { item: current };
              continue;
            }
            // The client's condition holds: only the pin failed. Someone wrote in
            // between, or a create met a tombstone. Try again on what is there now.
            if (attempt >= WRITE_ATTEMPTS) {
              throw isLive(current) && current
                ? new VersionMismatchError(
                    `the document kept changing; it is at version ${current.version}`,
                    viewOf(current),
                  )
                : new NotFoundError('the document changed while it was written');
            }
            base = { item: current };
            continue;
          }
          const taken = error.refusedOf(plan, 'unique-claim');
          if (taken?.refusal.kind === 'unique-claim') {
            const { field } = taken.part;
            throw new UniqueViolationError(
              `another document holds this value of "${field}"`,
              field,
              taken.refusal.owner,
            );
          }
          // An old value another document holds (written before the field was
          // unique) is not ours to release: leave its guard alone.
          const held = heldElsewhere(error, plan);
          if (held.length === 0 || attempt >= WRITE_ATTEMPTS) throw error;
          for (const field of held) skipRelease.add(field);
        }
      }
    } finally {
      turn?.leave();
    }
  },

  /** The history entry of a version this process wrote recently, if still known. */
  knownEntry: (key: ItemKey, version: number): HistoryEntry | undefined =>
    turns.entry(key, version),
});

export type DocumentWriter = ReturnType<typeof createDocumentWriter>;
