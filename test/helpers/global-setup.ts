/**
 * Starts ONE in-memory DynamoDB Local for the whole test run and hands its
 * endpoint to the tests (`inject('dynamoEndpoint')`). Teardown waits until
 * the Java process has exited, so no run leaves one behind.
 */
import type { TestProject } from 'vitest/node';
import { startDynamoLocal } from '../../local/dynamo-local';

declare module 'vitest' {
  export interface ProvidedContext {
    /** e.g. `http://127.0.0.1:41234`; always loopback. */
    dynamoEndpoint: string;
  }
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const dynamo = await startDynamoLocal();
  project.provide('dynamoEndpoint', dynamo.endpoint);
  return () => dynamo.stop();
}
