/**
 * The newest state of each document that `update()` saw (its read, its own
 * write, or a conflict answer), so the next `update()` of the same document
 * can start from it instead of reading again. If the document changed since,
 * the first write is refused with the current state, which is what a read
 * would have returned: a stale entry costs nothing extra.
 */
import type { VersionedDocument } from './types.js';

/** Documents remembered per client; the oldest is forgotten first. */
const LIMIT = 1_000;

export class LastSeen {
  readonly #documents = new Map<string, VersionedDocument<object>>();

  /** The newest state seen of `key`, if any. */
  get<T extends object>(key: string): VersionedDocument<T> | undefined {
    return this.#documents.get(key) as VersionedDocument<T> | undefined;
  }

  /** Keeps `seen` unless a newer version is already known; returns `seen`. */
  remember<D extends VersionedDocument<object>>(key: string, seen: D): D {
    const known = this.#documents.get(key);
    if (known && known.version > seen.version) return seen;
    this.#documents.delete(key);
    this.#documents.set(key, seen);
    if (this.#documents.size > LIMIT) {
      const oldest = this.#documents.keys().next().value;
      if (oldest !== undefined) this.#documents.delete(oldest);
    }
    return seen;
  }

  forget(key: string): void {
    this.#documents.delete(key);
  }
}
