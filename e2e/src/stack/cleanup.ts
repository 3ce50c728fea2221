// Nothing a stack started may outlive it. Every stack is tracked from the moment it starts to
// come up: on SIGINT/SIGTERM/SIGHUP the parent stops them all before exiting, on any other exit
// they are killed synchronously, and a stack left behind by a process that was killed outright
// (SIGKILL) is removed by the next process that starts a stack.
import fs from 'node:fs';
import path from 'node:path';

import { dropDatabase, listStackDatabases, ownerPid } from './mariadb.js';
import { stacksDir } from './paths.js';
import { groupMembers, killGroupSync, pidAlive } from './process.js';

export interface Tracked {
  /** Graceful teardown. */
  stop(): Promise<void>;
  /** Last-resort teardown usable inside a process 'exit' handler. */
  stopSync(): void;
}

/** What a stack folder records about its owner, for cleaning up after a killed process. */
export interface OwnerRecord {
  pid: number;
  startedAt: string;
  database?: string;
  processGroups: number[];
}

export const OWNER_FILE = 'owner.json';

const active = new Set<Tracked>();
const hooks: Array<(signal: NodeJS.Signals) => void | Promise<void>> = [];
let installed = false;
/** When the first stop signal arrived. */
let shuttingDown: number | undefined;

export function track(stack: Tracked): void {
  installHandlers();
  active.add(stack);
}

export function untrack(stack: Tracked): void {
  active.delete(stack);
}

/** Stops every stack this process started (e.g. from a test's global teardown). */
export async function stopAllStacks(): Promise<void> {
  await Promise.allSettled([...active].map((stack) => stack.stop()));
}

/**
 * Runs `hook` after the stacks were stopped because of a signal, before the process exits. The
 * exit code is `process.exitCode` when a hook set it, else 128 + the signal number.
 */
export function addShutdownHook(hook: (signal: NodeJS.Signals) => void | Promise<void>): void {
  installHandlers();
  hooks.push(hook);
}

function installHandlers(): void {
  if (installed) return;
  installed = true;
  process.once('exit', () => {
    for (const stack of active) {
      try {
        stack.stopSync();
      } catch {
        // Keep going: the other stacks still need to go.
      }
    }
  });
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    process.on(signal, () => void shutdown(signal));
  }
}

/**
 * What a stop signal does: stop every stack, run the shutdown hooks, exit. Callable directly to
 * shut down as if the signal had arrived.
 */
export async function shutdown(signal: NodeJS.Signals): Promise<void> {
  const code = 128 + (signal === 'SIGINT' ? 2 : signal === 'SIGTERM' ? 15 : 1);
  if (shuttingDown !== undefined) {
    // Wrappers (npm, tsx) relay the terminal's Ctrl-C, so one keypress can arrive twice. A
    // later, second Ctrl-C finishes hard (the 'exit' handler kills what is left).
    if (Date.now() - shuttingDown > 1500) process.exit(code);
    return;
  }
  shuttingDown = Date.now();
  await stopAllStacks();
  for (const hook of hooks) {
    try {
      await hook(signal);
    } catch (error) {
      console.error(error);
    }
  }
  process.exit(process.exitCode ?? code);
}

export function writeOwner(stackDir: string, record: OwnerRecord): void {
  fs.writeFileSync(path.join(stackDir, OWNER_FILE), JSON.stringify(record));
}

let swept: Promise<void> | undefined;

/** Once per process: remove stacks (folders, processes, databases) whose owner is gone. */
export function sweepStaleStacks(client: string): Promise<void> {
  swept ??= sweep(client).catch(() => {
    // Cleaning up after others must never stop a new stack from starting.
  });
  return swept;
}

async function sweep(client: string): Promise<void> {
  const dirs = fs.existsSync(stacksDir) ? fs.readdirSync(stacksDir) : [];
  for (const entry of dirs) {
    const dir = path.join(stacksDir, entry);
    let owner: OwnerRecord;
    try {
      owner = JSON.parse(fs.readFileSync(path.join(dir, OWNER_FILE), 'utf8')) as OwnerRecord;
    } catch {
      continue;
    }
    if (owner.pid === process.pid || pidAlive(owner.pid)) continue;
    for (const pgid of owner.processGroups) {
      if (belongsTo(pgid, dir)) killGroupSync(pgid);
    }
    if (owner.database) await dropDatabase(client, owner.database).catch(() => {});
    fs.rmSync(dir, { recursive: true, force: true });
  }
  for (const name of await listStackDatabases(client)) {
    const pid = ownerPid(name);
    if (pid !== undefined && pid !== process.pid && !pidAlive(pid)) {
      await dropDatabase(client, name).catch(() => {});
    }
  }
}

/** Only kill a group one of whose members really is that stack's process (pids get reused). */
function belongsTo(pgid: number, dir: string): boolean {
  return groupMembers(pgid).some((pid) => {
    try {
      const cmdline = fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8');
      const environ = fs.readFileSync(`/proc/${pid}/environ`, 'utf8');
      return cmdline.includes(dir) || environ.includes(dir);
    } catch {
      return false;
    }
  });
}
