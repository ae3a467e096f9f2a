/**
 * Reads DynamoDB Local's stream of the table, as Lambda's event source does
 * on AWS, and hands each batch of records to a callback (the same webhook
 * code the stream function runs). Shards are read parent first; after an
 * error the reader picks up after the last record it handed over, so a
 * restart of DynamoDB Local loses nothing it had already seen.
 */
import { DescribeTableCommand } from '@aws-sdk/client-dynamodb';
import {
  DescribeStreamCommand,
  DynamoDBStreamsClient,
  GetRecordsCommand,
  GetShardIteratorCommand,
  type ShardIteratorType,
} from '@aws-sdk/client-dynamodb-streams';
import type { StreamRecord } from '../functions/store/stream-events';
import { LOCAL_CREDENTIALS, LOCAL_REGION, localDynamoClient } from './dynamo-admin';

export interface StreamReaderOptions {
  readonly endpoint: string;
  readonly tableName: string;
  /** Where to begin in the shards open at start: everything kept, or only what comes next. */
  readonly from: 'trim-horizon' | 'latest';
  /** Handles one batch; the reader waits for it before reading on. */
  readonly onRecords: (records: StreamRecord[]) => Promise<void>;
  /** Pause between polls that found nothing. Default 250 ms. */
  readonly pollMs?: number;
  readonly log?: (line: string) => void;
}

export interface StreamReader {
  /** Settles once the shards open at start have their iterators. */
  readonly ready: Promise<void>;
  close(): Promise<void>;
}

interface ShardState {
  readonly id: string;
  readonly parent: string | undefined;
  iterator: string | undefined;
  lastSequence: string | undefined;
  /** Read to its end; a closed shard gets no more records. */
  done: boolean;
  /** Whether it was open when the reader started (read from `from`), or appeared later (read whole). */
  readonly initial: boolean;
}

export const startStreamReader = (options: StreamReaderOptions): StreamReader => {
  const pollMs = options.pollMs ?? 250;
  const log = options.log ?? (() => undefined);
  const tables = localDynamoClient(options.endpoint);
  const streams = new DynamoDBStreamsClient({
    endpoint: options.endpoint,
    region: LOCAL_REGION,
    credentials: LOCAL_CREDENTIALS,
    maxAttempts: 3,
    requestHandler: {
      connectionTimeout: 1_000,
      requestTimeout: 5_000,
      throwOnRequestTimeout: true,
    },
  });
  const shards = new Map<string, ShardState>();
  let streamArn: string | undefined;
  let stopping = false;
  let wake: (() => void) | undefined;
  const pause = (ms: number) =>
    new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, ms);
      wake = () => {
        clearTimeout(timer);
        resolve();
      };
    });

  const discover = async (first: boolean): Promise<void> => {
    if (!streamArn) {
      const { Table } = await tables.send(
        new DescribeTableCommand({ TableName: options.tableName }),
      );
      streamArn = Table?.LatestStreamArn;
      if (!streamArn) throw new Error(`table ${options.tableName} has no stream`);
    }
    let start: string | undefined;
    do {
      const { StreamDescription } = await streams.send(
        new DescribeStreamCommand({ StreamArn: streamArn, ExclusiveStartShardId: start }),
      );
      for (const shard of StreamDescription?.Shards ?? []) {
        if (!shard.ShardId || shards.has(shard.ShardId)) continue;
        shards.set(shard.ShardId, {
          id: shard.ShardId,
          parent: shard.ParentShardId,
          iterator: undefined,
          lastSequence: undefined,
          done: false,
          initial: first,
        });
      }
      start = StreamDescription?.LastEvaluatedShardId;
    } while (start);
  };

  const iteratorFor = async (shard: ShardState): Promise<string | undefined> => {
    const type: ShardIteratorType = shard.lastSequence
      ? 'AFTER_SEQUENCE_NUMBER'
      : shard.initial && options.from === 'latest'
        ? 'LATEST'
        : 'TRIM_HORIZON';
    const { ShardIterator } = await streams.send(
      new GetShardIteratorCommand({
        StreamArn: streamArn,
        ShardId: shard.id,
        ShardIteratorType: type,
        ...(shard.lastSequence ? { SequenceNumber: shard.lastSequence } : {}),
      }),
    );
    return ShardIterator;
  };

  /** A child shard waits until its parent is read to the end. */
  const readable = (shard: ShardState): boolean =>
    !shard.done &&
    (!shard.parent || !shards.has(shard.parent) || shards.get(shard.parent)?.done === true);

  /** One pass over the readable shards; true when it handed over any record. */
  const poll = async (): Promise<boolean> => {
    let found = false;
    for (const shard of shards.values()) {
      if (!readable(shard)) continue;
      shard.iterator ??= await iteratorFor(shard);
      if (!shard.iterator) {
        shard.done = true;
        continue;
      }
      const { Records = [], NextShardIterator } = await streams.send(
        new GetRecordsCommand({ ShardIterator: shard.iterator, Limit: 100 }),
      );
      if (Records.length > 0) {
        found = true;
        await options.onRecords(Records as unknown as StreamRecord[]);
        shard.lastSequence =
          Records[Records.length - 1]?.dynamodb?.SequenceNumber ?? shard.lastSequence;
      }
      shard.iterator = NextShardIterator;
      if (!NextShardIterator) shard.done = true;
    }
    return found;
  };

  const ready = (async () => {
    await discover(true);
    // Take the iterators now, so that LATEST means "after the reader started".
    for (const shard of shards.values()) {
      if (readable(shard)) shard.iterator = await iteratorFor(shard);
    }
  })();

  const loop = (async () => {
    try {
      await ready;
    } catch (error) {
      log(`stream reader: ${(error as Error).message}`);
    }
    while (!stopping) {
      try {
        await discover(false);
        if (!(await poll())) await pause(pollMs);
      } catch (error) {
        if (stopping) break;
        log(`stream reader: ${(error as Error).message}; reading on shortly`);
        // Iterators may have expired (or DynamoDB Local restarted): take new ones after the last record.
        for (const shard of shards.values()) shard.iterator = undefined;
        await pause(Math.max(pollMs, 1_000));
      }
    }
  })();

  return {
    ready,
    async close() {
      stopping = true;
      wake?.();
      await loop;
      streams.destroy();
      tables.destroy();
    },
  };
};
