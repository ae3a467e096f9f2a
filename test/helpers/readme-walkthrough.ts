/**
 * Runs the README's curl walkthrough and compares each answer with the one
 * the README shows, so the walkthrough cannot drift from what the API does.
 *
 * The format it reads: a ```sh block of commands, optionally followed at
 * once by a plain ``` block that starts with `HTTP/1.1`: the answer to the
 * block's last command, with the headers of {@link OMITTED_HEADERS} left out.
 * A command may end in `  # 201 …` instead: the status it answers with.
 * In a shown answer, a value containing `…` stands for any value.
 */
import { spawn } from 'node:child_process';

/** Headers the README leaves out of every answer, as it says: volatile or the same everywhere. */
export const OMITTED_HEADERS = [
  'date',
  'connection',
  'keep-alive',
  'content-length',
  'apigw-requestid',
  'last-modified',
  'server-timing',
  'ratelimit',
  'ratelimit-policy',
  'access-control-allow-origin',
  'access-control-allow-headers',
  'access-control-allow-methods',
  'access-control-expose-headers',
  'access-control-max-age',
];

export interface Answer {
  readonly statusLine: string;
  readonly headers: ReadonlyArray<readonly [string, string]>;
  readonly body: string;
}

export interface Command {
  /** The command as a shell runs it (continuation lines joined, comment removed). */
  readonly text: string;
  /** The status its trailing comment promises, if any. */
  readonly status?: number;
  /** The answer the README shows for it, if any. */
  readonly answer?: Answer;
}

const FENCE = /^```(\w*)\n([\s\S]*?)^```\n/gm;

/** Splits an answer as curl -si prints it (or as the README shows it). */
export const parseAnswer = (text: string, omitted = OMITTED_HEADERS): Answer => {
  const normalized = text.replaceAll('\r\n', '\n');
  const split = normalized.indexOf('\n\n');
  const head = split >= 0 ? normalized.slice(0, split) : normalized.trimEnd();
  const body = split >= 0 ? normalized.slice(split + 2).trim() : '';
  const [statusLine = '', ...lines] = head.split('\n');
  const headers = lines
    .map((line) => {
      const colon = line.indexOf(':');
      return [line.slice(0, colon).trim().toLowerCase(), line.slice(colon + 1).trim()] as const;
    })
    .filter(([name]) => !omitted.includes(name));
  return { statusLine: statusLine.trim(), headers, body };
};

/** The README form of an answer: what to paste when the API's answer changes on purpose. */
export const formatAnswer = (answer: Answer): string =>
  [
    answer.statusLine,
    ...answer.headers.map(([name, value]) => `${name}: ${value}`),
    ...(answer.body ? ['', answer.body] : []),
  ].join('\n');

/** Lines of a shell block, with continued lines and multi-line quoted strings joined. */
const logicalLines = (block: string): string[] => {
  const lines: string[] = [];
  let pending = '';
  for (const raw of block.replace(/\\\n\s*/g, '').split('\n')) {
    pending = pending ? `${pending}\n${raw}` : raw;
    // An odd number of single quotes: the quoted string goes on, on the next line.
    if ((pending.match(/'/g)?.length ?? 0) % 2 === 0) {
      lines.push(pending);
      pending = '';
    }
  }
  if (pending) lines.push(pending);
  return lines;
};

const splitCommands = (block: string): Array<{ text: string; status?: number }> => {
  const commands: Array<{ text: string; status?: number }> = [];
  for (const line of logicalLines(block)) {
    const comment = /\s{2,}#\s?(.*)$/.exec(line);
    const text = (comment ? line.slice(0, comment.index) : line).trim();
    if (!text || text.startsWith('#')) continue;
    const status = comment ? /^(\d{3})\b/.exec(comment[1] ?? '')?.[1] : undefined;
    commands.push({ text, ...(status ? { status: Number(status) } : {}) });
  }
  return commands;
};

/** The commands of a README section that call the API (those with `curl`), in order. */
export const walkthroughCommands = (section: string): Command[] => {
  const fences = [...section.matchAll(FENCE)].map((m) => ({
    lang: m[1] ?? '',
    body: m[2] ?? '',
    start: m.index ?? 0,
    end: (m.index ?? 0) + m[0].length,
  }));
  const commands: Command[] = [];
  fences.forEach((fence, i) => {
    if (fence.lang !== 'sh') return;
    const next = fences[i + 1];
    const shown =
      next && next.lang === '' && next.start === fence.end && next.body.startsWith('HTTP/1.1')
        ? parseAnswer(next.body)
        : undefined;
    const found = splitCommands(fence.body).filter((command) => command.text.includes('curl'));
    found.forEach((command, j) => {
      commands.push({ ...command, ...(shown && j === found.length - 1 ? { answer: shown } : {}) });
    });
  });
  return commands;
};

/** The part of a Markdown document from a heading to the next heading of its level. */
export const sectionOf = (markdown: string, heading: string): string => {
  const start = markdown.indexOf(`\n${heading}\n`);
  if (start < 0) throw new Error(`no section "${heading}"`);
  const level = /^#+/.exec(heading)?.[0] ?? '##';
  const rest = markdown.slice(start + heading.length + 2);
  const end = rest.search(new RegExp(`^${level} `, 'm'));
  return end < 0 ? rest : rest.slice(0, end);
};

/**
 * Runs the commands in ONE bash, in order, so variables they set (such as a
 * lease token) carry over, with the given environment. Returns each
 * command's output.
 */
export const runCommands = (
  commands: readonly Command[],
  env: Record<string, string>,
): Promise<string[]> => {
  const marker = (i: number) => `@@@ command ${i} @@@`;
  const script = commands.map((c, i) => `printf '\\n%s\\n' '${marker(i)}'\n${c.text}`).join('\n');
  return new Promise((resolve, reject) => {
    const bash = spawn('bash', ['-c', script], { env: { ...process.env, ...env } });
    let out = '';
    let err = '';
    bash.stdout.on('data', (chunk: Buffer) => {
      out += chunk.toString('utf8');
    });
    bash.stderr.on('data', (chunk: Buffer) => {
      err += chunk.toString('utf8');
    });
    bash.on('error', reject);
    bash.on('close', (code) => {
      if (code !== 0) reject(new Error(`the walkthrough's shell failed (${code}): ${err}`));
      const outputs = commands.map((_, i) => {
        const from = out.indexOf(marker(i));
        const to = i + 1 < commands.length ? out.indexOf(marker(i + 1)) : out.length;
        return from < 0 ? '' : out.slice(from + marker(i).length, to).trim();
      });
      resolve(outputs);
    });
  });
};

const WILDCARD = '…';

/** Whether an actual JSON value fits a shown one, where strings with `…` match anything. */
const fits = (shown: unknown, actual: unknown): boolean => {
  if (typeof shown === 'string' && shown.includes(WILDCARD)) return true;
  if (Array.isArray(shown)) {
    return (
      Array.isArray(actual) &&
      shown.length === actual.length &&
      shown.every((value, i) => fits(value, actual[i]))
    );
  }
  if (typeof shown === 'object' && shown !== null) {
    if (typeof actual !== 'object' || actual === null || Array.isArray(actual)) return false;
    const keys = Object.keys(shown);
    const actualKeys = Object.keys(actual);
    return (
      keys.length === actualKeys.length &&
      keys.every(
        (key) =>
          key in actual &&
          fits((shown as Record<string, unknown>)[key], (actual as Record<string, unknown>)[key]),
      )
    );
  }
  return shown === actual;
};

const parseJson = (text: string): unknown => {
  try {
    return JSON.parse(text.replaceAll('\n', ''));
  } catch {
    return undefined;
  }
};

/** Differences between a shown answer and an actual one; empty when they agree. */
export const differences = (shown: Answer, actual: Answer): string[] => {
  const found: string[] = [];
  if (shown.statusLine !== actual.statusLine) {
    found.push(`status: README "${shown.statusLine}", API "${actual.statusLine}"`);
  }
  const shownHeaders = shown.headers.map(([name]) => name);
  const actualHeaders = actual.headers.map(([name]) => name);
  if (shownHeaders.join() !== actualHeaders.join()) {
    found.push(`headers: README [${shownHeaders.join(', ')}], API [${actualHeaders.join(', ')}]`);
  }
  for (const [name, value] of shown.headers) {
    const actualValue = actual.headers.find(([n]) => n === name)?.[1];
    if (actualValue !== undefined && !value.includes(WILDCARD) && value !== actualValue) {
      found.push(`header ${name}: README "${value}", API "${actualValue}"`);
    }
  }
  const shownJson = parseJson(shown.body);
  const actualJson = parseJson(actual.body);
  const bodyFits =
    shownJson === undefined ? shown.body === actual.body : fits(shownJson, actualJson);
  if (!bodyFits) found.push(`body: README ${shown.body}\n      API ${actual.body}`);
  return found;
};
