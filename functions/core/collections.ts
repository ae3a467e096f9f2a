/**
 * The declared collections, with their compiled schemas, and the rules
 * every write to a collection follows.
 */
import type { CollectionConfig, ConcordConfig } from './config';
import { toStoredBody } from './documents';
import { NotFoundError, PreconditionRequiredError } from './errors';
import type { JsonObject, JsonValue } from './items-model';
import { hasPrecondition, type Preconditions } from './preconditions';
import { compileValidator, type DocumentValidator } from './schemas';

export interface Collection {
  readonly config: CollectionConfig;
  readonly validate: DocumentValidator;
}

/** Compiles every collection schema up front; the lookup throws NotFoundError for an undeclared one. */
export const createCollections = (config: ConcordConfig): ((name: string) => Collection) => {
  const collections = new Map<string, Collection>(
    config.collections.map((c) => [c.name, { config: c, validate: compileValidator(c) }]),
  );
  return (name) => {
    const found = collections.get(name);
    if (!found) throw new NotFoundError(`no collection "${name}"`);
    return found;
  };
};

/** 428 for a write without a precondition to a collection that requires one. */
export const requirePrecondition = (c: Collection, p: Preconditions): void => {
  if (c.config.requirePrecondition && !hasPrecondition(p)) {
    throw new PreconditionRequiredError(
      `writes to "${c.config.name}" need If-Match (or If-None-Match: * to create)`,
    );
  }
};

/** A client's document as the collection stores it: checked, stripped and validated. */
export const storedBody = (c: Collection, value: JsonValue): JsonObject => {
  const body = toStoredBody(value);
  c.validate(body);
  return body;
};
