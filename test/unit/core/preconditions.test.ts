import { describe, expect, it } from 'vitest';
import {
  AlreadyExistsError,
  BadRequestError,
  NotFoundError,
  VersionMismatchError,
} from '../../../functions/core/errors';
import type { StoredItem } from '../../../functions/core/items-model';
import {
  type EntityTag,
  explainCondition,
  strongVersions,
  weakVersions,
  writeCondition,
} from '../../../functions/core/preconditions';

const strong = (opaque: string): EntityTag => ({ weak: false, opaque });
const weak = (opaque: string): EntityTag => ({ weak: true, opaque });

const item = (version: number, deleted = false): StoredItem => ({
  id: 'doc-1',
  version,
  deleted,
  body: deleted ? {} : { title: 't' },
  updatedAt: '2024-01-01T00:00:00.000Z',
});

describe('strongVersions', () => {
  it('names the versions of strong tags', () => {
    expect(strongVersions([strong('3'), strong('10')])).toEqual([3, 10]);
  });

  it('never lets a weak tag match under strong comparison', () => {
    expect(strongVersions([weak('3')])).toEqual([-1]);
    expect(strongVersions([weak('3'), strong('4')])).toEqual([4]);
  });

  it('turns tags that are no version into a version nothing has', () => {
    expect(strongVersions([strong('abc'), strong('07'), strong('-1'), strong('')])).toEqual([-1]);
    expect(strongVersions([strong('1234567890123456')])).toEqual([-1]);
    expect(strongVersions([strong('0')])).toEqual([0]);
  });
});

describe('weakVersions', () => {
  it('names the versions of weak and strong tags alike', () => {
    expect(weakVersions([weak('3'), strong('5')])).toEqual([3, 5]);
  });

  it('turns tags that are no version into a version nothing has', () => {
    expect(weakVersions([weak('x')])).toEqual([-1]);
  });
});

describe('writeCondition', () => {
  it('is empty without preconditions', () => {
    expect(writeCondition({})).toEqual({});
  });

  it('requires a live document at one of the If-Match versions', () => {
    expect(writeCondition({ ifMatch: [strong('2'), strong('3')] })).toEqual({
      mustExist: true,
      versionIn: [2, 3],
    });
  });

  it('requires only a live document for If-Match: *', () => {
    expect(writeCondition({ ifMatch: '*' })).toEqual({ mustExist: true });
  });

  it('requires absence for If-None-Match: *', () => {
    expect(writeCondition({ ifNoneMatch: '*' })).toEqual({ mustBeAbsent: true });
  });

  it('excludes If-None-Match versions under weak comparison', () => {
    expect(writeCondition({ ifNoneMatch: [weak('4'), strong('6')] })).toEqual({
      versionNotIn: [4, 6],
    });
  });

  it('treats a body version as If-Match', () => {
    expect(writeCondition({ bodyVersion: 5 })).toEqual({ mustExist: true, versionIn: [5] });
  });

  it('narrows If-Match to the body version when they agree', () => {
    expect(writeCondition({ ifMatch: [strong('4'), strong('5')], bodyVersion: 5 })).toEqual({
      mustExist: true,
      versionIn: [5],
    });
    expect(writeCondition({ ifMatch: '*', bodyVersion: 5 })).toEqual({
      mustExist: true,
      versionIn: [5],
    });
  });

  it('refuses a body version that disagrees with If-Match', () => {
    expect(() => writeCondition({ ifMatch: [strong('4')], bodyVersion: 5 })).toThrow(
      BadRequestError,
    );
  });

  it('keeps both existence and absence when both are asked for: a precondition that fails, not a bad request', () => {
    expect(writeCondition({ ifMatch: '*', ifNoneMatch: '*' })).toEqual({
      mustExist: true,
      mustBeAbsent: true,
    });
    expect(writeCondition({ ifNoneMatch: '*' }, { mustExist: true })).toEqual({
      mustExist: true,
      mustBeAbsent: true,
    });
  });

  it('turns If-Unmodified-Since into a modified-before bound one second later, unless an ETag precondition is present', () => {
    const at = Date.UTC(2024, 0, 1, 12, 0, 0);
    expect(writeCondition({ ifUnmodifiedSince: at })).toEqual({
      modifiedBefore: '2024-01-01T12:00:01.000Z',
    });
    expect(writeCondition({ ifUnmodifiedSince: at, ifMatch: [strong('2')] })).toEqual({
      mustExist: true,
      versionIn: [2],
    });
    expect(writeCondition({ ifUnmodifiedSince: at, bodyVersion: 2 })).toEqual({
      mustExist: true,
      versionIn: [2],
    });
  });

  it('keeps the base condition', () => {
    expect(writeCondition({}, { mustExist: true })).toEqual({ mustExist: true });
    expect(writeCondition({ ifNoneMatch: [strong('1')] }, { mustExist: true })).toEqual({
      mustExist: true,
      versionNotIn: [1],
    });
  });
});

describe('explainCondition', () => {
  it('holds for a live document at an accepted version', () => {
    expect(explainCondition({ mustExist: true, versionIn: [3] }, item(3))).toBeUndefined();
  });

  it('explains a live document under mustBeAbsent as AlreadyExistsError from If-None-Match', () => {
    const error = explainCondition({ mustBeAbsent: true }, item(2), { ifNoneMatch: '*' });
    expect(error).toBeInstanceOf(AlreadyExistsError);
    expect((error as AlreadyExistsError).precondition).toBe('if-none-match');
    expect((error as AlreadyExistsError).current).toEqual({
      id: 'doc-1',
      version: 2,
      etag: '"2"',
      updatedAt: '2024-01-01T00:00:00.000Z',
      document: { id: 'doc-1', version: 2, title: 't' },
    });
  });

  it('blames If-Match first, then If-None-Match: *, when both are sent (RFC 9110 §13.2.2)', () => {
    const p = { ifMatch: [strong('2')], ifNoneMatch: '*' as const };
    const stale = explainCondition(writeCondition(p), item(3), p);
    expect(stale).toBeInstanceOf(VersionMismatchError);
    expect((stale as VersionMismatchError).precondition).toBe('if-match');
    const matching = explainCondition(writeCondition(p), item(2), p);
    expect(matching).toBeInstanceOf(AlreadyExistsError);
    expect((matching as AlreadyExistsError).precondition).toBe('if-none-match');
    const absent = explainCondition(writeCondition(p), undefined, p);
    expect(absent).toBeInstanceOf(NotFoundError);
    expect((absent as NotFoundError).precondition).toBe('if-match');
  });

  it('explains a PATCH or DELETE with If-None-Match: * on a live document as a failed If-None-Match', () => {
    const p = { ifNoneMatch: '*' as const };
    const error = explainCondition(writeCondition(p, { mustExist: true }), item(4), p);
    expect(error).toBeInstanceOf(AlreadyExistsError);
    expect((error as AlreadyExistsError).precondition).toBe('if-none-match');
    const absent = explainCondition(writeCondition(p, { mustExist: true }), undefined, p);
    expect(absent).toBeInstanceOf(NotFoundError);
    expect((absent as NotFoundError).precondition).toBeUndefined();
  });

  it('refuses a document modified after If-Unmodified-Since, and ignores it for absent ones', () => {
    const condition = { modifiedBefore: '2024-01-01T00:00:00.500Z' };
    expect(explainCondition(condition, item(2))).toBeUndefined();
    const later = { ...item(2), updatedAt: '2024-01-01T00:00:00.500Z' };
    const error = explainCondition(condition, later);
    expect(error).toBeInstanceOf(VersionMismatchError);
    expect((error as VersionMismatchError).precondition).toBe('if-unmodified-since');
    expect(explainCondition(condition, undefined)).toBeUndefined();
  });

  it('names no header when a create without preconditions finds a live document', () => {
    const error = explainCondition({ mustBeAbsent: true }, item(2));
    expect((error as AlreadyExistsError).precondition).toBeUndefined();
  });

  it('treats a tombstone as absent', () => {
    expect(explainCondition({ mustBeAbsent: true }, item(4, true))).toBeUndefined();
    expect(explainCondition({ mustExist: true }, item(4, true))).toBeInstanceOf(NotFoundError);
    expect(explainCondition({ mustExist: true }, undefined)).toBeInstanceOf(NotFoundError);
  });

  it('explains a stale version as VersionMismatchError carrying the current state', () => {
    const error = explainCondition({ mustExist: true, versionIn: [1, 2] }, item(3), {
      ifMatch: [strong('1'), strong('2')],
    });
    expect(error).toBeInstanceOf(VersionMismatchError);
    expect((error as VersionMismatchError).precondition).toBe('if-match');
    expect((error as VersionMismatchError).current.etag).toBe('"3"');
  });

  it('names no header for a mismatch of a body version', () => {
    const error = explainCondition({ mustExist: true, versionIn: [1] }, item(3), {
      bodyVersion: 1,
    });
    expect((error as VersionMismatchError).precondition).toBeUndefined();
  });

  // The If-Match header held (a live document exists; "2" is current): only the body
  // version failed, so the strict profile must not answer 412 for it.
  it('names no header when If-Match held and only the body version is stale', () => {
    for (const p of [
      { ifMatch: '*' as const, bodyVersion: 1 },
      { ifMatch: [strong('1'), strong('2')], bodyVersion: 1 },
    ]) {
      const error = explainCondition(writeCondition(p), item(2), p);
      expect(error).toBeInstanceOf(VersionMismatchError);
      expect((error as VersionMismatchError).precondition).toBeUndefined();
    }
  });

  it('explains an excluded version as a mismatch from If-None-Match', () => {
    const error = explainCondition({ versionNotIn: [3] }, item(3), { ifNoneMatch: [weak('3')] });
    expect(error).toBeInstanceOf(VersionMismatchError);
    expect((error as VersionMismatchError).precondition).toBe('if-none-match');
    expect(explainCondition({ versionNotIn: [3] }, item(4))).toBeUndefined();
    expect(explainCondition({ versionNotIn: [3] }, item(3, true))).toBeUndefined();
  });
});
