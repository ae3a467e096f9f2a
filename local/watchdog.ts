/**
 * Makes a detached process group die with this process, even when this
 * process is killed with SIGKILL and no exit hook runs. A JVM cannot be given
 * PR_SET_PDEATHSIG from Node, so a tiny shell in a session of its own holds
 * the read end of a pipe whose only writer is this process: when this process
 * ends, however it ends, the kernel closes the pipe, the shell reads EOF and
 * kills the group. Its own session keeps a kill of our process group from
 * taking the watchdog down with us.
 */
import { type ChildProcess, spawn } from 'node:child_process';

// `read` returns at EOF; nothing is ever written, the loop only guards against it.
const SCRIPT = 'while read -r _; do :; done; kill -s KILL -- "-$1" 2>/dev/null; exit 0';

export interface Watchdog {
  /** Pid of the watchdog shell (not of the group it guards). */
  readonly pid: number | undefined;
  /** Ends the watchdog without touching the group: for a stop we do ourselves. */
  release(): void;
}

/**
 * Starts a watchdog that SIGKILLs process group `groupId` once this process
 * is gone. Call `release()` before stopping the group normally, so the
 * watchdog can never signal a group id that has been reused.
 */
export const watchGroup = (groupId: number): Watchdog => {
  const child: ChildProcess = spawn(
    '/bin/sh',
    ['-c', SCRIPT, 'concord-watchdog', String(groupId)],
    {
      detached: true,
      stdio: ['pipe', 'ignore', 'ignore'],
    },
  );
  // Neither the process nor its idle pipe may keep our event loop alive.
  child.unref();
  child.on('error', () => undefined);
  child.stdin?.on('error', () => undefined);
  return {
    pid: child.pid,
    release: () => {
      // Until Node reaps it, an exited watchdog's pid cannot be reused: the kill is safe.
      if (child.pid !== undefined && child.exitCode === null && child.signalCode === null) {
        try {
          process.kill(child.pid, 'SIGKILL');
        } catch {
          // Already gone.
        }
      }
      child.stdin?.destroy();
    },
  };
};
