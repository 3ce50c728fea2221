// A test site as an admin drives it through the plugin's REST API, whatever the connection
// behind it: Sync now, watch the run, read the linked users and the audit log, save the
// configuration. The emulators' stack helpers create their connections and use these.
import { request } from './rest.js';
import type { Answer, Credentials } from './rest.js';

export interface SiteAccess {
  /** WordPress base URL. */
  url: string;
  /** An administrator's Application Password credentials. */
  admin: Credentials;
}

export interface RunAnswer {
  id: string;
  source: string;
  state: 'queued' | 'running' | 'succeeded' | 'failed' | 'cancelled' | 'interrupted';
  trigger: string;
  dryRun: boolean;
  full: boolean;
  joined?: boolean;
  processed: number;
  total: number | null;
  rate: number | null;
  elapsedSeconds: number | null;
  startedAt: string | null;
  finishedAt: string | null;
  counts: {
    created: number;
    updated: number;
    unchanged: number;
    disabled: number;
    deleted: number;
    failed: number;
  };
  error: string | null;
  details?: {
    failures: { externalId: string; code: string; message: string }[];
    changes: { action: string; externalId: string; login: string | null }[];
    /** What the run waits for right now (a throttled or unreachable system). */
    waiting?: { target: string; reason: string; until: string; message: string } | null;
    interruptions?: number;
  };
}

export interface LinkedUser {
  id: number;
  login: string;
  email: string;
  firstName: string;
  lastName: string;
  displayName: string;
  roles: string[];
  active: boolean;
  externalId: string | null;
  meta: Record<string, unknown>;
}

export const rest = (site: SiteAccess, route: string) =>
  `${site.url}/wp-json/usersync/v1/${route.replace(/^\//, '')}`;

export function must<T>(answer: Answer<T>, expected: number[], what: string): T {
  if (!expected.includes(answer.status)) {
    throw new Error(`${what} answered ${answer.status}: ${answer.text.slice(0, 800)}`);
  }
  return answer.body;
}

/** Sync now through the plugin; the answer is the (possibly joined) run. */
export async function syncNow(
  site: SiteAccess,
  slug: string,
  body: { dryRun?: boolean; full?: boolean } = {},
): Promise<RunAnswer> {
  const answer = await request<RunAnswer>(rest(site, `sources/${slug}/runs`), {
    method: 'POST',
    basic: site.admin,
    body,
  });
  return must(answer, [202], 'Sync now');
}

export async function getRun(site: SiteAccess, id: string): Promise<RunAnswer> {
  return must(
    await request<RunAnswer>(rest(site, `runs/${id}`), { basic: site.admin }),
    [200],
    'reading the run',
  );
}

/** Polls a run until it ends; `onProgress` sees every state in between. */
export async function waitForRun(
  site: SiteAccess,
  id: string,
  options: { timeoutMs?: number; intervalMs?: number; onProgress?: (run: RunAnswer) => void } = {},
): Promise<RunAnswer> {
  const deadline = Date.now() + (options.timeoutMs ?? 120_000);
  for (;;) {
    const run = await getRun(site, id);
    options.onProgress?.(run);
    // An interrupted run resumes on its own: it has not ended.
    if (run.state !== 'queued' && run.state !== 'running' && run.state !== 'interrupted')
      return run;
    if (Date.now() > deadline) throw new Error(`run ${id} still ${run.state} after the timeout`);
    await new Promise((resolve) => setTimeout(resolve, options.intervalMs ?? 250));
  }
}

/** Sync now and wait for the end. */
export async function syncAndWait(
  site: SiteAccess,
  slug: string,
  body: { dryRun?: boolean; full?: boolean } = {},
  timeoutMs = 120_000,
): Promise<RunAnswer> {
  const run = await syncNow(site, slug, body);
  return waitForRun(site, run.id, { timeoutMs });
}

/** Every user linked to the connection, with the meta keys asked for. */
export async function linkedUsers(
  site: SiteAccess,
  connection: string,
  metaKeys: string[] = [],
): Promise<LinkedUser[]> {
  const users: LinkedUser[] = [];
  for (let page = 1; ; page++) {
    const query = new URLSearchParams({
      connection,
      linked: '1',
      per_page: '500',
      page: String(page),
      orderby: 'id',
      order: 'asc',
    });
    if (metaKeys.length > 0) query.set('meta_keys', metaKeys.join(','));
    const body = must(
      await request<{ total: number; users: LinkedUser[] }>(rest(site, `users?${query}`), {
        basic: site.admin,
      }),
      [200],
      'listing users',
    );
    users.push(...body.users);
    if (body.users.length < 500) return users;
  }
}

/** Puts the sync configuration (partial: the keys given replace the stored ones). */
export async function putConfig(site: SiteAccess, config: Record<string, unknown>) {
  return must(
    await request(rest(site, 'config'), { method: 'PUT', basic: site.admin, body: config }),
    [200],
    'saving the configuration',
  );
}

/** Audit rows written by runs (source `run:*`): one per WordPress write. */
export async function runWrites(site: SiteAccess): Promise<number> {
  const answer = await request(rest(site, 'audit?source=run:*&per_page=1'), { basic: site.admin });
  must(answer, [200], 'reading the audit log');
  return Number(answer.headers.get('x-wp-total'));
}
