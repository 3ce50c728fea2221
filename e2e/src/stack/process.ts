// Child processes of a stack: each runs in its own process group (setsid) with its output in a
// log file, so that stopping it ends every worker it forked and its log survives for diagnosis.
import { spawn } from 'node:child_process';
import fs from 'node:fs';

export interface ManagedProcess {
  /** Short name used in messages ("php", "sidecar"). */
  readonly name: string;
  /** Process id of the leader, which is also the process group id. */
  readonly pid: number;
  readonly logPath: string;
  /** Resolves with the exit code (or null when killed by a signal) of the leader. */
  readonly exited: Promise<number | null>;
  hasExited(): boolean;
  /** SIGTERM to the whole group, SIGKILL after `graceMs`; resolves when no member is left. */
  stop(graceMs?: number): Promise<void>;
}

export interface SpawnOptions {
  cwd: string;
  env: NodeJS.ProcessEnv;
  logPath: string;
}

export function spawnDetached(
  name: string,
  command: string,
  args: string[],
  options: SpawnOptions,
): ManagedProcess {
  const logFd = fs.openSync(options.logPath, 'a');
  const child = spawn(command, args, {
    cwd: options.cwd,
    env: options.env,
    detached: true,
    stdio: ['ignore', logFd, logFd],
  });
  fs.closeSync(logFd);
  let done = false;
  const exited = new Promise<number | null>((resolve) => {
    child.once('exit', (code) => {
      done = true;
      resolve(code);
    });
    child.once('error', (error) => {
      done = true;
      fs.appendFileSync(
        options.logPath,
        `\n[stack] could not start ${command}: ${error.message}\n`,
      );
      resolve(-1);
    });
  });
  // The stack must not keep the parent's event loop alive on its own.
  child.unref();
  const pid = child.pid ?? -1;
  let stopping: Promise<void> | undefined;
  return {
    name,
    pid,
    logPath: options.logPath,
    exited,
    hasExited: () => done,
    stop(graceMs = 5000) {
      stopping ??= stopGroup(pid, graceMs);
      return stopping;
    },
  };
}

/** Ends a process group: SIGTERM, then SIGKILL for whatever is left after `graceMs`. */
export async function stopGroup(pgid: number, graceMs = 5000): Promise<void> {
  if (pgid <= 0) return;
  signalGroup(pgid, 'SIGTERM');
  const deadline = Date.now() + graceMs;
  while (groupAlive(pgid) && Date.now() < deadline) await sleep(25);
  if (groupAlive(pgid)) {
    signalGroup(pgid, 'SIGKILL');
    const killDeadline = Date.now() + 5000;
    while (groupAlive(pgid) && Date.now() < killDeadline) await sleep(25);
  }
  if (groupAlive(pgid)) throw new Error(`process group ${pgid} did not exit after SIGKILL`);
}

/** Synchronous last resort used from process 'exit' handlers. */
export function killGroupSync(pgid: number): void {
  if (pgid > 0) signalGroup(pgid, 'SIGKILL');
}

export function signalGroup(pgid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pgid, signal);
  } catch {
    // Already gone.
  }
}

/**
 * True while any member of the group is still running. Zombies do not count: once killed,
 * orphaned workers may wait a while for their new parent to reap them.
 */
export function groupAlive(pgid: number): boolean {
  if (process.platform === 'linux') return groupMembers(pgid).length > 0;
  try {
    process.kill(-pgid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Pids of the live (non-zombie) members of a process group (Linux only; [] elsewhere). */
export function groupMembers(pgid: number): number[] {
  if (process.platform !== 'linux') return [];
  const members: number[] = [];
  for (const entry of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    let stat: string;
    try {
      stat = fs.readFileSync(`/proc/${entry}/stat`, 'utf8');
    } catch {
      continue;
    }
    // Fields after the parenthesised command name: state ppid pgrp ...
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    if (Number(fields[2]) === pgid && fields[0] !== 'Z' && fields[0] !== 'X') {
      members.push(Number(entry));
    }
  }
  return members;
}

export function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** The last `lines` lines of a log file ('' when it does not exist). */
export function tailFile(
  file: string,
  lines = 40,
  keep: (line: string) => boolean = () => true,
): string {
  let text: string;
  try {
    const size = fs.statSync(file).size;
    const fd = fs.openSync(file, 'r');
    const length = Math.min(size, 64 * 1024);
    const buffer = Buffer.alloc(length);
    fs.readSync(fd, buffer, 0, length, size - length);
    fs.closeSync(fd);
    text = buffer.toString('utf8');
  } catch {
    return '';
  }
  return text.trimEnd().split('\n').filter(keep).slice(-lines).join('\n');
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Runs a command to completion, collecting its output. Never throws for a non-zero exit. */
export function run(
  command: string,
  args: string[],
  options: { cwd?: string; env?: NodeJS.ProcessEnv; input?: string; timeoutMs?: number } = {},
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, {
      cwd: options.cwd,
      env: options.env ?? process.env,
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    const timer =
      options.timeoutMs === undefined
        ? undefined
        : setTimeout(() => {
            stderr += `\n[stack] ${command} timed out after ${options.timeoutMs} ms\n`;
            child.kill('SIGKILL');
          }, options.timeoutMs);
    child.once('error', (error) => {
      if (timer) clearTimeout(timer);
      reject(new Error(`could not run ${command}: ${error.message}`));
    });
    child.once('close', (code) => {
      if (timer) clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
    // A command that exits without reading its input closes the pipe: that is no error of
    // ours (its exit code says how it went), and unhandled it would crash the test process.
    child.stdin.on('error', () => undefined);
    child.stdin.end(options.input ?? '');
  });
}
