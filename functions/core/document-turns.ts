/**
 * Turns per document, within one process: writes that a conflict policy
 * may resolve (merge, last-writer-wins) wait for one another here instead of
 * racing one another in DynamoDB. Each starts from the version the one
 * before it wrote, and from the history entries this process wrote, so
 * writers served by the same process neither refuse one another nor read
 * what was just written: a hot counter under `npm start` costs one write per
 * increment. Writers in other processes still meet in DynamoDB's condition,
 * which stays the only authority: a version known here is a guess that the
 * write's condition checks, never a substitute for it. A version's content
 * never changes, so a history entry known here is as good as one read.
 */
import type { HistoryEntry } from './history';
import type { ItemKey, StoredItem } from './items-model';

export interface DocumentTurn {
  /** The newest live version this process wrote or saw of the document, if newer than `version`. */
  newerThan(version: number): StoredItem | undefined;
  /** The newest version known here, live or not. */
  latest(): StoredItem | undefined;
  /** The history entry of `version`, if this process wrote it recently. */
  entry(version: number): HistoryEntry | undefined;
  /** Remembers a version written (with its history entry) or seen, for the writers behind. */
  saw(item: StoredItem | undefined, entry?: HistoryEntry): void;
  /** Ends the turn; the next writer of the document goes on. Idempotent. */
  leave(): void;
}

interface Queue {
  tail: Promise<void>;
  /** Writers holding or waiting for a turn. */
  members: number;
  latest: StoredItem | undefined;
  /** Recent history entries by version, while writers come and go. */
  entries: Map<number, HistoryEntry>;
}

const keyOf = (key: ItemKey): string => JSON.stringify([key.tenant, key.collection, key.id]);

/**
 * Documents nobody holds a turn on whose last version stays known, the most
 * recently left first: a writer that read the document before the last turn
 * ended still starts from the version that turn wrote.
 */
export const REMEMBERED_DOCUMENTS = 64;
/** History entries known per document: one per racing writer's base. */
export const REMEMBERED_ENTRIES = 32;
/** Of the idle documents, the most recently left keep their entries; the others only the latest. */
export const IDLE_WITH_ENTRIES = 8;

export const createDocumentTurns = ({
  remember = REMEMBERED_DOCUMENTS,
  entries = REMEMBERED_ENTRIES,
  idleWithEntries = IDLE_WITH_ENTRIES,
} = {}) => {
  const queues = new Map<string, Queue>();
  /** Bounds what idle documents keep: memory for at most `remember` bodies and a few histories. */
  const forget = () => {
    let idle = 0;
    for (const queue of queues.values()) if (queue.members === 0) idle++;
    for (const [name, queue] of queues) {
      if (queue.members > 0) continue;
      if (idle > remember) queues.delete(name);
      else if (idle > idleWithEntries && queue.entries.size > 1) {
        const last = queue.latest && queue.entries.get(queue.latest.version);
        queue.entries = new Map(last ? [[last.version, last]] : []);
      } else if (idle <= idleWithEntries) break;
      idle--;
    }
  };
  const queueOf = (name: string): Queue => {
    let queue = queues.get(name);
    if (!queue) {
      queue = { tail: Promise.resolve(), members: 0, latest: undefined, entries: new Map() };
      queues.set(name, queue);
    }
    return queue;
  };
  const record = (q: Queue, item: StoredItem | undefined, entry: HistoryEntry | undefined) => {
    if (item && (!q.latest || item.version > q.latest.version)) q.latest = item;
    if (entry) {
      q.entries.set(entry.version, entry);
      if (q.entries.size > entries) q.entries.delete(Math.min(...q.entries.keys()));
    }
  };
  /** Marks an idle document as the most recently left: last in the map's order. */
  const touch = (name: string, q: Queue) => {
    queues.delete(name);
    queues.set(name, q);
    forget();
  };
  return {
    /** Waits until the writers of this document that came before have left. */
    async enter(key: ItemKey): Promise<DocumentTurn> {
      const name = keyOf(key);
      const q = queueOf(name);
      q.members++;
      const before = q.tail;
      let open: () => void = () => {};
      q.tail = new Promise<void>((resolve) => {
        open = resolve;
      });
      await before;
      let left = false;
      return {
        newerThan: (version) =>
          q.latest && !q.latest.deleted && q.latest.version > version ? q.latest : undefined,
        latest: () => q.latest,
        entry: (version) => q.entries.get(version),
        saw: (item, entry) => record(q, item, entry),
        leave() {
          if (left) return;
          left = true;
          if (--q.members === 0) touch(name, q);
          open();
        },
      };
    },
    /** Remembers a version written without a turn (where stale writes are refused). */
    remember(key: ItemKey, item: StoredItem, entry: HistoryEntry | undefined): void {
      const name = keyOf(key);
      const q = queueOf(name);
      record(q, item, entry);
      if (q.members === 0) touch(name, q);
    },
    /** The history entry of a version this process wrote recently, if still known. */
    entry(key: ItemKey, version: number): HistoryEntry | undefined {
      return queues.get(keyOf(key))?.entries.get(version);
    },
    /** Documents with writers holding or waiting for a turn, or remembered (for tests). */
    get size(): number {
      return queues.size;
    },
  };
};

export type DocumentTurns = ReturnType<typeof createDocumentTurns>;
