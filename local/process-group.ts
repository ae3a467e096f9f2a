import type { ChildProcess } from 'node:child_process';
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync, readlinkSync } from 'node:fs';

/** Whether a process with this pid exists (signal 0 checks without sending anything). */
export const isAlive = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: it exists but belongs to someone else.
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
};

/**
 * Signals the child's whole process group (it was spawned `detached`, so it
 * leads its own group), falling back to the pid alone where groups do not
 * exist. Killing the group, not just the pid, is what guarantees that nothing
 * the JVM started survives it.
 */
export const signalGroup = (pid: number, signal: NodeJS.Signals): void => {
  try {
    process.kill(process.platform === 'win32' ? pid : -pid, signal);
  } catch {
    try {
      process.kill(pid, signal);
    } catch {
      // Already gone.
    }
  }
};

const exited = (child: ChildProcess): boolean =>
  child.exitCode !== null || child.signalCode !== null;

const waitForExit = (child: ChildProcess, timeoutMs: number): Promise<boolean> =>
  exited(child)
    ? Promise.resolve(true)
    : new Promise((resolve) => {
        const timer = setTimeout(() => resolve(false), timeoutMs);
        child.once('exit', () => {
          clearTimeout(timer);
          resolve(true);
        });
      });

/**
 * Stops a detached child and its group: SIGTERM first so the JVM runs its
 * shutdown hooks and flushes the database file, SIGKILL if it lingers, and
 * only resolves once the process is really gone.
 */
export const terminateGroup = async (child: ChildProcess, graceMs = 5_000): Promise<void> => {
  const pid = child.pid;
  if (pid === undefined) return;
  if (!exited(child)) {
    signalGroup(pid, 'SIGTERM');
    if (!(await waitForExit(child, graceMs))) {
      signalGroup(pid, 'SIGKILL');
      await waitForExit(child, graceMs);
    }
  }
  // Anything else left in the group (there should be nothing) goes too.
  signalGroup(pid, 'SIGKILL');
};

/** The command line of a running process, or undefined if it is not running. */
export const commandLineOf = (pid: number): string | undefined => {
  try {
    return execFileSync('ps', ['-o', 'args=', '-p', String(pid)], { encoding: 'utf8' }).trim();
  } catch {
    return undefined;
  }
};

const listeningInodes = (port: number): Set<string> | undefined => {
  const hexPort = `:${port.toString(16).toUpperCase().padStart(4, '0')}`;
  let found = false;
  const inodes = new Set<string>();
  for (const table of ['/proc/net/tcp', '/proc/net/tcp6']) {
    let text: string;
    try {
      text = readFileSync(table, 'utf8');
    } catch {
      continue;
    }
    found = true;
    for (const line of text.split('\n')) {
      const fields = line.trim().split(/\s+/);
      // Field 3 is the state (0A = LISTEN), field 9 the socket's inode.
      if (fields[3] === '0A' && fields[1]?.endsWith(hexPort) && fields[9]) inodes.add(fields[9]);
    }
  }
  return found ? inodes : undefined;
};

/**
 * Whether process `pid` itself holds a listening TCP socket on `port`, read
 * from /proc; undefined where /proc cannot tell (not Linux).
 */
export const listensOn = (pid: number, port: number): boolean | undefined => {
  const inodes = listeningInodes(port);
  if (!inodes) return undefined;
  let fds: string[];
  try {
    fds = readdirSync(`/proc/${pid}/fd`);
  } catch {
    return undefined;
  }
  return fds.some((fd) => {
    try {
      const inode = /^socket:\[(\d+)\]$/.exec(readlinkSync(`/proc/${pid}/fd/${fd}`))?.[1];
      return inode !== undefined && inodes.has(inode);
    } catch {
      return false;
    }
  });
};
