import { spawnSync } from 'node:child_process';

/** DynamoDB Local 3.x is built for Java 17. */
export const MIN_JAVA_MAJOR = 17;

const INSTALL_HINT =
  'install Java 17 or newer: `sudo apt-get install openjdk-17-jre-headless` (Debian/Ubuntu), ' +
  '`brew install openjdk@17` (macOS), or a Temurin build from adoptium.net';

/** Java is missing or too old to run DynamoDB Local. */
export class JavaMissingError extends Error {
  constructor(detail: string, options?: ErrorOptions) {
    super(`DynamoDB Local needs Java ${MIN_JAVA_MAJOR}+ (${detail}); ${INSTALL_HINT}`, options);
    this.name = 'JavaMissingError';
  }
}

/**
 * The major version in `java -version` output: `"17.0.15"` → 17, and the
 * pre-Java-9 scheme `"1.8.0_402"` → 8. Undefined when nothing looks like one.
 */
export const parseJavaMajor = (output: string): number | undefined => {
  const match = /version "(\d+)(?:\.(\d+))?/.exec(output);
  if (!match?.[1]) return undefined;
  const first = Number(match[1]);
  return first === 1 && match[2] ? Number(match[2]) : first;
};

/**
 * Checks that `java` runs and is 17+, so a missing JRE is reported as one
 * clear sentence instead of an opaque spawn error or a Java stack trace.
 *
 * @returns the major version found
 * @throws {JavaMissingError} with install instructions
 */
export const assertJava = (command = 'java'): number => {
  const result = spawnSync(command, ['-version'], { encoding: 'utf8', timeout: 15_000 });
  if (result.error) {
    throw new JavaMissingError(`\`${command} -version\` failed: ${result.error.message}`, {
      cause: result.error,
    });
  }
  // Java prints its version on stderr; some builds use stdout.
  const major = parseJavaMajor(`${result.stderr}\n${result.stdout}`);
  if (major === undefined) throw new JavaMissingError(`\`${command} -version\` printed no version`);
  if (major < MIN_JAVA_MAJOR) throw new JavaMissingError(`found Java ${major}`);
  return major;
};
