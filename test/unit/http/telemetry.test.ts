import { afterEach, describe, expect, it, vi } from 'vitest';
import {
  createJsonLogger,
  createMetricsWriter,
  emfLine,
  logLevelFromEnv,
} from '../../../functions/http/telemetry';

const AT = new Date('2026-01-02T03:04:05.678Z');

const capture = () => {
  const lines: string[] = [];
  return { lines, write: (line: string) => lines.push(line) };
};

describe('the JSON logger', () => {
  afterEach(() => {
    vi.unstubAllEnvs();
  });

  it('writes one JSON object per line with level, message, timestamp, service and the fields', () => {
    const { lines, write } = capture();
    const logger = createJsonLogger({ service: 'concord', level: 'INFO', write, now: () => AT });
    logger.info('request', { status: 200, tenant: 'acme' });
    expect(lines).toHaveLength(1);
    expect(lines[0]).not.toContain('\n');
    expect(JSON.parse(lines[0] ?? '')).toEqual({
      level: 'INFO',
      message: 'request',
      timestamp: '2026-01-02T03:04:05.678Z',
      service: 'concord',
      status: 200,
      tenant: 'acme',
    });
  });

  it('keeps its own keys when a field has the same name', () => {
    const { lines, write } = capture();
    const logger = createJsonLogger({ service: 'concord', level: 'INFO', write, now: () => AT });
    logger.warn('webhook', { level: 'DEBUG', service: 'other', message: 'x' });
    expect(JSON.parse(lines[0] ?? '')).toMatchObject({
      level: 'WARN',
      service: 'concord',
      message: 'webhook',
    });
  });

  it('leaves out lines below its level', () => {
    const { lines, write } = capture();
    const logger = createJsonLogger({ service: 'concord', level: 'WARN', write });
    logger.debug('a');
    logger.info('b');
    logger.warn('c');
    logger.error('d');
    expect(lines.map((line) => JSON.parse(line).message)).toEqual(['c', 'd']);
  });

  it('adds the X-Ray trace root when Lambda sets one', () => {
    vi.stubEnv(
      '_X_AMZN_TRACE_ID',
      'Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f;Sampled=1',
    );
    const { lines, write } = capture();
    createJsonLogger({ service: 'concord', level: 'INFO', write }).info('request');
    expect(JSON.parse(lines[0] ?? '').xray_trace_id).toBe('1-5759e988-bd862e3fe1be46a994272793');
  });

  it('writes a field JSON cannot hold as text instead of throwing', () => {
    const { lines, write } = capture();
    const cyclic: Record<string, unknown> = { big: 10n };
    cyclic.self = cyclic;
    createJsonLogger({ service: 'concord', level: 'INFO', write }).error('odd', { cyclic });
    expect(JSON.parse(lines[0] ?? '').cyclic).toEqual({ big: '10', self: '[circular]' });
  });

  it('takes LOG_LEVEL, then the function application log level, then INFO', () => {
    expect(logLevelFromEnv({ LOG_LEVEL: 'debug', AWS_LAMBDA_LOG_LEVEL: 'ERROR' })).toBe('DEBUG');
    expect(logLevelFromEnv({ AWS_LAMBDA_LOG_LEVEL: 'WARN' })).toBe('WARN');
    expect(logLevelFromEnv({ AWS_LAMBDA_LOG_LEVEL: 'TRACE' })).toBe('DEBUG');
    expect(logLevelFromEnv({ AWS_LAMBDA_LOG_LEVEL: 'FATAL' })).toBe('ERROR');
    expect(logLevelFromEnv({ LOG_LEVEL: 'loud' })).toBe('INFO');
    expect(logLevelFromEnv({})).toBe('INFO');
  });
});

describe('EMF metrics', () => {
  it('writes the embedded metric format: one dimension set, units, values at the root', () => {
    const line = emfLine(
      'Concord',
      { service: 'concord', Route: 'GET /v1/{collection}/{id}' },
      [
        { name: 'Requests', unit: 'Count', value: 1 },
        { name: 'Latency', unit: 'Milliseconds', value: 4.2 },
      ],
      1_700_000_000_000,
    );
    expect(JSON.parse(line)).toEqual({
      _aws: {
        Timestamp: 1_700_000_000_000,
        CloudWatchMetrics: [
          {
            Namespace: 'Concord',
            Dimensions: [['service', 'Route']],
            Metrics: [
              { Name: 'Requests', Unit: 'Count' },
              { Name: 'Latency', Unit: 'Milliseconds' },
            ],
          },
        ],
      },
      service: 'concord',
      Route: 'GET /v1/{collection}/{id}',
      Requests: 1,
      Latency: 4.2,
    });
  });

  it('folds a metric named twice into one metric with a list of values', () => {
    const parsed = JSON.parse(
      emfLine(
        'Concord',
        { service: 'concord' },
        [
          { name: 'Calls', unit: 'Count', value: 1 },
          { name: 'Calls', unit: 'Count', value: 3 },
        ],
        0,
      ),
    );
    expect(parsed._aws.CloudWatchMetrics[0].Metrics).toEqual([{ Name: 'Calls', Unit: 'Count' }]);
    expect(parsed.Calls).toEqual([1, 3]);
  });

  it('puts the service dimension on every line and splits past 100 metrics', () => {
    const { lines, write } = capture();
    const metrics = createMetricsWriter({ namespace: 'Concord', service: 'concord', write });
    metrics.publish(
      { Outcome: 'failed' },
      Array.from({ length: 150 }, (_, i) => ({ name: `M${i}`, unit: 'Count' as const, value: i })),
    );
    expect(lines).toHaveLength(2);
    const parsed = lines.map((line) => JSON.parse(line));
    expect(parsed.map((entry) => entry._aws.CloudWatchMetrics[0].Metrics.length)).toEqual([
      100, 50,
    ]);
    for (const entry of parsed) {
      expect(entry._aws.CloudWatchMetrics[0].Dimensions).toEqual([['service', 'Outcome']]);
      expect(entry).toMatchObject({ service: 'concord', Outcome: 'failed' });
    }
    expect(parsed[1].M149).toBe(149);
  });
});
