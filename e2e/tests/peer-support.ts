// Shared by the change-feed and WordPress-to-WordPress tests and the outbound benchmark: two
// real stacks wired as peers, and small helpers to read and change each site the way an admin,
// a user or another plugin would.
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import { promisify } from 'node:util';

import { asAdmin, asService, eventually, restUrl, wpLogin } from '../src/helpers.js';
import { ensurePrerequisites, request, startStack, type Stack } from '../src/stack/index.js';
import { groupMembers } from '../src/stack/process.js';

const execFileAsync = promisify(execFile);

/** Quicker retries and polling than production, so outages heal within a test's patience. */
export const TEST_OUTBOUND_ENV = {
  OUTBOUND_RETRY_BASE_MS: '200',
  OUTBOUND_RETRY_MAX_MS: '1500',
  OUTBOUND_POLL_MS: '1000',
  LOG_LEVEL: 'info',
};

export interface Snapshot {
  id: number;
  login: string;
  email: string;
  firstName: string;
  lastName: string;
  displayName: string;
  nickname: string;
  url: string;
  roles: string[];
  active: boolean;
  externalId: string | null;
  linked: boolean;
  meta: Record<string, unknown>;
  groups: { id: number; displayName: string }[];
}

export interface Peer {
  slug: string;
  name: string;
  scimUrl?: string | null;
  token?: string | null;
  push?: boolean;
  roles?: boolean;
  sendPasswords?: boolean;
  acceptPasswords?: boolean;
  includeAdministrators?: boolean;
}

export interface AuditRow {
  id: number;
  actor: string;
  source: string;
  action: string;
  userId: number | null;
  userLogin: string;
  fields: string[];
  result: string;
  error: string | null;
}

export interface TargetStatus {
  slug: string;
  phase: string;
  cursor: number | null;
  latest: number;
  twoWay: boolean;
  lastError: { message: string; code: string } | null;
  deadLetters: number;
  counts: {
    delivered: number;
    unchanged: number;
    excluded: number;
    skippedOrigin: number;
    notCovered: number;
    deadLetters: number;
    requests: number;
  };
  push: { runId: string; state: string; processed: number; total: number | null } | null;
}

export async function startSite(name: string, env: Record<string, string> = {}): Promise<Stack> {
  return startStack({ name, sidecarEnv: { ...TEST_OUTBOUND_ENV, ...env } });
}

/** A SCIM token of `issuer` for a connection (what the other site pushes with). */
export async function issueToken(issuer: Stack, name: string, connection: string) {
  const answer = await request<{ token: string; id: string }>(
    restUrl(issuer, 'usersync/v1/tokens'),
    { basic: asAdmin(issuer), method: 'POST', body: { name, connection } },
  );
  if (answer.status !== 201) throw new Error(`token: ${answer.status} ${answer.text}`);
  return answer.body;
}

export async function putConfig(stack: Stack, partial: Record<string, unknown>) {
  const answer = await request(restUrl(stack, 'usersync/v1/config'), {
    basic: asAdmin(stack),
    method: 'PUT',
    body: partial,
  });
  if (answer.status !== 200) throw new Error(`config: ${answer.status} ${answer.text}`);
  return answer.body as Record<string, unknown>;
}

export const setPeers = (stack: Stack, peers: Peer[]) => putConfig(stack, { peers });

/** Role map rules granting each role to the group named after it (how peers send roles). */
export const ROLE_GROUPS = {
  roleMap: {
    rules: ['editor', 'author', 'contributor', 'subscriber'].map((role, i) => ({
      group: role,
      role,
      priority: i,
    })),
    defaultRole: 'subscriber',
    allowAdministrator: false,
  },
};

/**
 * Wires `parent` to push to `child` (and, with `twoWay`, `child` to push back): each site
 * issues the other a token whose connection is the other's slug here.
 */
export async function pair(
  parent: Stack,
  child: Stack,
  options: { twoWay?: boolean; parent?: Partial<Peer>; child?: Partial<Peer> } = {},
) {
  const forParent = await issueToken(child, 'Parent site', 'parent');
  await setPeers(parent, [
    {
      slug: 'child',
      name: 'Child site',
      scimUrl: child.sidecar.scimUrl,
      token: forParent.token,
      ...options.parent,
    },
  ]);
  if (options.twoWay) {
    const forChild = await issueToken(parent, 'Child site', 'child');
    await setPeers(child, [
      {
        slug: 'parent',
        name: 'Parent site',
        scimUrl: parent.sidecar.scimUrl,
        token: forChild.token,
        ...options.child,
      },
    ]);
  } else if (options.child) {
    await setPeers(child, [{ slug: 'parent', name: 'Parent site', ...options.child }]);
  }
  await waitForTargets(parent, ['child']);
  if (options.twoWay) await waitForTargets(child, ['parent']);
}

export async function outbound(stack: Stack): Promise<{ targets: TargetStatus[]; acked: number }> {
  const answer = await request<{ targets: TargetStatus[]; acked: number }>(
    `${stack.sidecar.url}/api/v1/outbound`,
    { bearer: stack.sidecar.apiKey },
  );
  if (answer.status !== 200) throw new Error(`outbound status: ${answer.status} ${answer.text}`);
  return answer.body;
}

export async function target(stack: Stack, slug: string): Promise<TargetStatus> {
  const found = (await outbound(stack)).targets.find((t) => t.slug === slug);
  if (!found) throw new Error(`no outbound target ${slug}`);
  return found;
}

export async function waitForTargets(stack: Stack, slugs: string[]) {
  await eventually(
    async () => {
      const { targets } = await outbound(stack);
      for (const slug of slugs) {
        const found = targets.find((t) => t.slug === slug);
        if (!found || found.cursor === null) throw new Error(`target ${slug} not ready`);
      }
    },
    { what: `targets ${slugs.join(', ')}`, timeoutMs: 60_000 },
  );
}

/**
 * Waits until the site's whole feed is delivered and acknowledged (the sidecar acknowledges
 * only what every target has handled), and every target's cursor is at its end.
 */
export async function settled(stack: Stack, timeoutMs = 60_000) {
  await eventually(
    async () => {
      const page = await feed(stack, Number.MAX_SAFE_INTEGER, 1);
      if (page.acked < page.latest) throw new Error(`acknowledged ${page.acked} of ${page.latest}`);
      const { targets } = await outbound(stack);
      for (const t of targets) {
        if (t.cursor === null || t.cursor < page.latest)
          throw new Error(`${t.slug} at ${t.cursor}/${page.latest}`);
      }
    },
    { what: 'outbound delivery to settle', timeoutMs, intervalMs: 100 },
  );
}

/** A user as a connection sees it (the plugin's snapshot), or null. */
export async function findUser(
  stack: Stack,
  query: { login?: string; id?: number; email?: string },
  connection?: string,
): Promise<Snapshot | null> {
  const params = new URLSearchParams();
  if (query.login) params.set('login', query.login);
  if (query.email) params.set('email', query.email);
  if (query.id) params.set('id', String(query.id));
  if (connection) params.set('connection', connection);
  params.set('meta_keys', 'department');
  const answer = await request<{ users: Snapshot[] }>(
    `${restUrl(stack, 'usersync/v1/users')}?${params}`,
    { basic: asService(stack) },
  );
  if (answer.status !== 200) throw new Error(`users: ${answer.status} ${answer.text}`);
  return answer.body.users[0] ?? null;
}

/**
 * Waits until `check` accepts the user found on `stack` as `connection` sees it (assertions
 * inside `check`).
 */
export async function arrives(
  stack: Stack,
  query: { login?: string; id?: number },
  connection: string,
  check: (user: Snapshot | null) => void,
  what: string,
  timeoutMs = 60_000,
): Promise<Snapshot | null> {
  return eventually(
    async () => {
      const user = await findUser(stack, query, connection);
      check(user);
      return user;
    },
    { what, timeoutMs, intervalMs: 50 },
  );
}

/** Creates a user through the core REST API, as an admin would. */
export async function createUser(
  stack: Stack,
  fields: {
    username: string;
    email?: string;
    password?: string;
    roles?: string[];
    [key: string]: unknown;
  },
): Promise<number> {
  const answer = await request<{ id: number }>(restUrl(stack, 'wp/v2/users'), {
    basic: asAdmin(stack),
    method: 'POST',
    body: {
      email: `${fields.username}@example.com`,
      password: `Pw-${fields.username}-${Math.random().toString(36).slice(2)}`,
      ...fields,
    },
  });
  if (answer.status !== 201) throw new Error(`create user: ${answer.status} ${answer.text}`);
  return answer.body.id;
}

export async function updateUser(stack: Stack, id: number, fields: Record<string, unknown>) {
  const answer = await request(restUrl(stack, `wp/v2/users/${id}`), {
    basic: asAdmin(stack),
    method: 'POST',
    body: fields,
  });
  if (answer.status !== 200) throw new Error(`update user: ${answer.status} ${answer.text}`);
}

export async function deleteUser(stack: Stack, id: number, reassign: number) {
  const answer = await request(
    `${restUrl(stack, `wp/v2/users/${id}`)}?force=true&reassign=${reassign}`,
    { basic: asAdmin(stack), method: 'DELETE' },
  );
  if (answer.status !== 200) throw new Error(`delete user: ${answer.status} ${answer.text}`);
}

/** Audit entries of a site, oldest first. */
export async function audit(
  stack: Stack,
  filters: Record<string, string> = {},
): Promise<AuditRow[]> {
  const params = new URLSearchParams({ per_page: '100', order: 'asc', ...filters });
  const answer = await request<AuditRow[]>(`${restUrl(stack, 'usersync/v1/audit')}?${params}`, {
    basic: asAdmin(stack),
  });
  if (answer.status !== 200) throw new Error(`audit: ${answer.status} ${answer.text}`);
  return answer.body;
}

export interface FeedRow {
  id: number;
  userId: number;
  action: string;
  changed: string[];
  origin: string;
  createdAt: string;
}

/** Outbox rows after an id. */
export async function feed(stack: Stack, after = 0, limit = 1000) {
  const answer = await request<{ changes: FeedRow[]; latest: number; acked: number }>(
    `${restUrl(stack, 'usersync/v1/changes')}?after=${after}&limit=${limit}`,
    { basic: asService(stack) },
  );
  if (answer.status !== 200) throw new Error(`feed: ${answer.status} ${answer.text}`);
  return answer.body;
}

export async function latestChange(stack: Stack): Promise<number> {
  return (await feed(stack, Number.MAX_SAFE_INTEGER, 1)).latest;
}

/**
 * Runs PHP inside the site (wp-load.php), as another plugin or WP-CLI would; `code` may echo
 * JSON, which is returned parsed.
 */
export async function wpEval<T = unknown>(stack: Stack, code: string): Promise<T> {
  const { php } = await ensurePrerequisites();
  const host = new URL(stack.wordpress.url).host;
  const script = [
    `$_SERVER['HTTP_HOST'] = ${JSON.stringify(host)};`,
    "$_SERVER['REQUEST_URI'] = '/';",
    `require ${JSON.stringify(`${stack.wordpress.dir}/wp-load.php`)};`,
    "require_once ABSPATH . 'wp-admin/includes/user.php';",
    code,
  ].join('\n');
  const { stdout } = await execFileAsync(php, ['-r', script], {
    cwd: stack.wordpress.dir,
    timeout: 60_000,
    maxBuffer: 16 * 1024 * 1024,
  });
  const text = stdout.trim();
  return (text ? JSON.parse(text) : null) as T;
}

/** SIGKILL to the sidecar's process group: no shutdown, no last writes. */
export async function killSidecar(stack: Stack): Promise<void> {
  const mine = stack.processGroups().filter((pgid) => {
    try {
      return fs.readFileSync(`/proc/${pgid}/cmdline`, 'utf8').includes('sidecar/src/main.ts');
    } catch {
      return false;
    }
  });
  if (mine.length !== 1)
    throw new Error(`expected one sidecar process group, found ${mine.length}`);
  process.kill(-mine[0]!, 'SIGKILL');
  await eventually(
    async () => {
      if (groupMembers(mine[0]!).length > 0) throw new Error('still running');
    },
    { what: 'the sidecar to die' },
  );
  await stack.stopSidecar();
}

/** Logs in through wp-login.php; true when WordPress let the user in. */
export async function logIn(stack: Stack, login: string, password: string): Promise<boolean> {
  const answer = await wpLogin(stack, login, password);
  return answer.status === 302 && answer.cookies.some((c) => c.startsWith('wordpress_logged_in_'));
}

/** The mail log of a stack (the test mu-plugin writes one JSON object per mail). */
export function mails(stack: Stack): { to: string | string[]; subject: string; message: string }[] {
  if (!fs.existsSync(stack.logs.mail)) return [];
  return fs
    .readFileSync(stack.logs.mail, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((line) => JSON.parse(line) as { to: string | string[]; subject: string; message: string });
}

/**
 * The lost-password flow of wp-login.php, end to end: request the link, follow it from the
 * mail, choose the new password.
 */
export async function resetPassword(stack: Stack, login: string, password: string): Promise<void> {
  const before = mails(stack).length;
  const ask = await fetch(`${stack.wordpress.url}/wp-login.php?action=lostpassword`, {
    method: 'POST',
    redirect: 'manual',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ user_login: login, 'wp-submit': 'Get New Password' }),
  });
  await ask.text();
  if (ask.status !== 302) throw new Error(`lost password: HTTP ${ask.status}`);
  const mail = await eventually(
    async () => {
      const found = mails(stack)
        .slice(before)
        .find((m) => /action=rp/.test(m.message));
      if (!found) throw new Error('no reset mail yet');
      return found;
    },
    { what: 'the password reset mail' },
  );
  const link = /(https?:\/\/\S*action=rp\S*)/.exec(mail.message)![1]!.replace(/[>\s]+$/, '');
  const url = new URL(link);
  const key = url.searchParams.get('key')!;
  const open = await fetch(link, { redirect: 'manual' });
  await open.text();
  const cookie = open.headers
    .getSetCookie()
    .map((c) => c.split(';')[0])
    .join('; ');
  const submit = await fetch(`${stack.wordpress.url}/wp-login.php?action=resetpass`, {
    method: 'POST',
    redirect: 'manual',
    headers: { 'content-type': 'application/x-www-form-urlencoded', cookie },
    body: new URLSearchParams({
      pass1: password,
      pass2: password,
      rp_key: key,
      'wp-submit': 'Save Password',
    }),
  });
  const page = await submit.text();
  if (!/password has been reset/i.test(page)) {
    throw new Error(`reset password: HTTP ${submit.status}: ${page.slice(0, 300)}`);
  }
}

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
