/**
 * Structured JSON log lines and CloudWatch metrics in the embedded metric
 * format (EMF), each one line on stdout. Lambda's runtime wraps what goes
 * through `console`, so the lines are written to the stream itself: a JSON
 * line is then kept as it is, and CloudWatch extracts the metrics of a line
 * that carries `_aws`.
 *
 * This replaces Powertools' Logger and Metrics, which the functions used only
 * for these two line shapes: loading them was about a tenth of a function's
 * whole import time (bench/cold-start.ts), paid on every cold start.
 */

/** Where a finished line goes, without its line break. */
export type LineWriter = (line: string) => void;

/** Looks `process.stdout` up on each call, so a test can capture what is written. */
export const stdoutLine: LineWriter = (line) => {
  process.stdout.write(`${line}\n`);
};

export type LogLevel = 'DEBUG' | 'INFO' | 'WARN' | 'ERROR';

const SEVERITY: Readonly<Record<LogLevel, number>> = { DEBUG: 10, INFO: 20, WARN: 30, ERROR: 40 };

/** Lambda's application log levels, folded onto the four this code writes. */
const LEVEL_NAMES: Readonly<Record<string, LogLevel>> = {
  TRACE: 'DEBUG',
  DEBUG: 'DEBUG',
  INFO: 'INFO',
  WARN: 'WARN',
  ERROR: 'ERROR',
  FATAL: 'ERROR',
};

/**
 * The level to log at: `LOG_LEVEL`, else the function's application log
 * level (`AWS_LAMBDA_LOG_LEVEL`, set by Lambda's logging configuration), else
 * INFO. An unknown name counts as INFO rather than silencing the logs.
 */
export const logLevelFromEnv = (env: NodeJS.ProcessEnv = process.env): LogLevel => {
  const name = (env.LOG_LEVEL ?? env.AWS_LAMBDA_LOG_LEVEL ?? 'INFO').trim().toUpperCase();
  return LEVEL_NAMES[name] ?? 'INFO';
};

/** The X-Ray trace of the current invocation, as Lambda sets it (`Root=1-…;Parent=…`). */
const traceId = (): string | undefined => {
  const header = process.env._X_AMZN_TRACE_ID;
  if (!header) return undefined;
  const root = header.split(';').find((part) => part.startsWith('Root='));
  return root ? root.slice('Root='.length) : header;
};

export type LogMethod = (message: string, fields?: Readonly<Record<string, unknown>>) => void;

/** A logger that writes one JSON object per line. */
export interface JsonLogger {
  readonly debug: LogMethod;
  readonly info: LogMethod;
  readonly warn: LogMethod;
  readonly error: LogMethod;
}

export interface JsonLoggerOptions {
  readonly service: string;
  readonly level?: LogLevel;
  readonly write?: LineWriter;
  readonly now?: () => Date;
}

/**
 * Each line is `level`, `message`, `timestamp` (ISO 8601), `service`,
 * `xray_trace_id` when there is one, then the fields, which cannot replace
 * those five.
 */
export const createJsonLogger = (options: JsonLoggerOptions): JsonLogger => {
  const threshold = SEVERITY[options.level ?? logLevelFromEnv()];
  const write = options.write ?? stdoutLine;
  const now = options.now ?? (() => new Date());
  const method =
    (level: LogLevel): LogMethod =>
    (message, fields) => {
      if (SEVERITY[level] < threshold) return;
      const trace = traceId();
      const entry: Record<string, unknown> = {
        level,
        message,
        timestamp: now().toISOString(),
        service: options.service,
        ...(trace ? { xray_trace_id: trace } : {}),
      };
      for (const key in fields) if (!(key in entry)) entry[key] = fields[key];
      write(serialize(entry));
    };
  return {
    debug: method('DEBUG'),
    info: method('INFO'),
    warn: method('WARN'),
    error: method('ERROR'),
  };
};

/** A log line never throws: a value JSON cannot hold (a BigInt, a cycle) is written as a string. */
const serialize = (entry: Record<string, unknown>): string => {
  try {
    return JSON.stringify(entry);
  } catch {
    const seen = new WeakSet<object>();
    return JSON.stringify(entry, (_key, value: unknown) => {
      if (typeof value === 'bigint') return value.toString();
      if (typeof value === 'object' && value !== null) {
        if (seen.has(value)) return '[circular]';
        seen.add(value);
      }
      return value;
    });
  }
};

export type MetricUnit = 'Count' | 'Milliseconds';

export interface Metric {
  readonly name: string;
  readonly unit: MetricUnit;
  readonly value: number;
}

/** EMF allows at most 100 metrics in one line. */
const MAX_METRICS_PER_LINE = 100;

/**
 * One EMF line: the metrics under one dimension set. A name given twice
 * becomes one metric with a list of values, as EMF defines it.
 */
export const emfLine = (
  namespace: string,
  dimensions: Readonly<Record<string, string>>,
  metrics: readonly Metric[],
  timestamp: number,
): string => {
  const values = new Map<string, { unit: MetricUnit; values: number[] }>();
  for (const metric of metrics) {
    const entry = values.get(metric.name);
    if (entry) entry.values.push(metric.value);
    else values.set(metric.name, { unit: metric.unit, values: [metric.value] });
  }
  const root: Record<string, unknown> = {
    _aws: {
      Timestamp: timestamp,
      CloudWatchMetrics: [
        {
          Namespace: namespace,
          Dimensions: [Object.keys(dimensions)],
          Metrics: [...values].map(([name, { unit }]) => ({ Name: name, Unit: unit })),
        },
      ],
    },
    ...dimensions,
  };
  for (const [name, entry] of values) {
    root[name] = entry.values.length === 1 ? entry.values[0] : entry.values;
  }
  return JSON.stringify(root);
};

/** Publishes metrics as EMF lines, each with the `service` dimension first. */
export interface MetricsWriter {
  publish(dimensions: Readonly<Record<string, string>>, metrics: readonly Metric[]): void;
}

export interface MetricsWriterOptions {
  readonly namespace: string;
  readonly service: string;
  readonly write?: LineWriter;
  readonly now?: () => number;
}

export const createMetricsWriter = (options: MetricsWriterOptions): MetricsWriter => {
  const write = options.write ?? stdoutLine;
  const now = options.now ?? Date.now;
  return {
    publish(dimensions, metrics) {
      const all = { service: options.service, ...dimensions };
      for (let start = 0; start < metrics.length; start += MAX_METRICS_PER_LINE) {
        const part = metrics.slice(start, start + MAX_METRICS_PER_LINE);
        write(emfLine(options.namespace, all, part, now()));
      }
    },
  };
};
