// `npm run bench:outbound`: how fast WordPress changes reach a peer WordPress. On two fresh
// stacks (parent → child, one way, production timings: the feed is polled every 5 s, so real
// time comes from the plugin's nudge) it measures, in this order:
//   1. the full push of N existing users (default 2,000) from parent to child, users/s;
//   2. for reference, inbound SCIM /Bulk into the same child with N other users (100 per
//      request, two in flight), users/s — the full push's target: with the very SCIM Users
//      the push sends (the parent's users through its outbound map, built by the push's own
//      mapper, with other userNames, emails and external ids) once just before the push and
//      once just after it, so that a machine whose load drifts during the run does not favour
//      either side (the ratio is to their mean); and once with minimal users (userName, name,
//      one email);
//   3. the delay from a user update on the parent (the moment the update request starts) to
//      its arrival on the child (as the child's REST API shows it), over M sequential updates
//      (default 200): median and p95.
// It prints the figures; the last line is one JSON object.
//
//   npm run bench:outbound [-- --users 2000 --updates 200]
import {
  localValues,
  outboundEntries,
  scimUser,
} from '../../sidecar/src/connectors/wordpress-peer/mapper.js';
import type { AttributeMapping } from '../../sidecar/src/engine/types.js';
import type { UserSnapshot } from '../../sidecar/src/scim/mapping.js';
import type { ScimResource } from '../../sidecar/src/scim/schemas/model.js';
import { asAdmin, asService, restUrl } from '../src/helpers.js';
import { request, startStack, type Stack } from '../src/stack/index.js';
import { pair, wpEval } from '../tests/peer-support.js';

const USER = 'urn:ietf:params:scim:schemas:core:2.0:User';
const BULK = 'urn:ietf:params:scim:api:messages:2.0:BulkRequest';

interface Options {
  users: number;
  updates: number;
}

function parseOptions(argv: string[]): Options {
  const options: Options = { users: 2000, updates: 200 };
  for (let i = 0; i < argv.length; i += 2) {
    const value = Number(argv[i + 1]);
    const key = ({ '--users': 'users', '--updates': 'updates' } as const)[argv[i] as '--users'];
    if (!key || !Number.isInteger(value) || value < 1)
      throw new Error(
        `usage: npm run bench:outbound [-- --users N --updates N] (got "${argv[i]}")`,
      );
    options[key] = value;
  }
  return options;
}

const say = (line = '') => process.stdout.write(`${line}\n`);
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  const rank = (p / 100) * (sorted.length - 1);
  const low = Math.floor(rank);
  const high = Math.ceil(rank);
  return sorted[low]! + (sorted[high]! - sorted[low]!) * (rank - low);
}

async function childUser(child: Stack, id: number) {
  const answer = await request<{ users: { id: number; firstName: string }[] }>(
    `${restUrl(child, 'usersync/v1/users')}?id=${id}&connection=parent`,
    { basic: asService(child) },
  );
  return answer.body.users[0] ?? null;
}

async function linkedCount(child: Stack): Promise<number> {
  const answer = await request<{ total: number }>(
    `${restUrl(child, 'usersync/v1/users')}?connection=parent&linked=1&per_page=1`,
    { basic: asService(child) },
  );
  return answer.body.total;
}

async function createUsers(stack: Stack, prefix: string, count: number): Promise<void> {
  // Two PHP processes, as fast as WordPress itself inserts users; 200 users per process run,
  // so that a loaded machine stays within the PHP runner's time limit.
  const runs: [number, number][] = [];
  for (let i = 0; i < count; i += 200) runs.push([i, Math.min(count, i + 200)]);
  let next = 0;
  const worker = async () => {
    while (next < runs.length) {
      const [from, to] = runs[next++]!;
      await wpEval(
        stack,
        `for ( $i = ${from}; $i < ${to}; $i++ ) {
           wp_insert_user( array( 'user_login' => "${prefix}$i", 'user_email' => "${prefix}$i@example.com", 'user_pass' => wp_generate_password( 12 ), 'first_name' => 'Bench', 'last_name' => "User $i", 'role' => 'subscriber' ) );
         }`,
      );
    }
  };
  await Promise.all([worker(), worker()]);
}

async function fullPush(parent: Stack, child: Stack, users: number): Promise<number> {
  const started = await request<{ id: string }>(
    `${parent.sidecar.url}/api/v1/outbound/targets/child/push`,
    { method: 'POST', bearer: parent.sidecar.apiKey },
  );
  if (started.status !== 202) throw new Error(`push: ${started.status} ${started.text}`);
  for (;;) {
    await sleep(250);
    const run = await request<{
      id: string;
      state: string;
      startedAt: string;
      finishedAt: string | null;
      processed: number;
      total: number;
      counts: { created: number; failed: number };
      error: string | null;
    }>(`${parent.sidecar.url}/api/v1/outbound/targets/child/push`, {
      bearer: parent.sidecar.apiKey,
    });
    const body = run.body;
    if (body.state === 'running' || body.state === 'queued') continue;
    if (body.state !== 'succeeded') throw new Error(`push ${body.state}: ${body.error}`);
    if (body.counts.created !== users || body.counts.failed !== 0)
      throw new Error(
        `push created ${body.counts.created} of ${users}, ${body.counts.failed} failed`,
      );
    const seconds = (Date.parse(body.finishedAt!) - Date.parse(body.startedAt)) / 1000;
    const linked = await linkedCount(child);
    if (linked !== users)
      throw new Error(`the child has ${linked} linked users, expected ${users}`);
    return users / seconds;
  }
}

/**
 * The SCIM Users the full push sent to the child: the parent's benchmark users through the
 * parent's outbound attribute map, built by the push's own mapper.
 */
async function pushedResources(parent: Stack): Promise<ScimResource[]> {
  const config = await request<{ attributeMap: AttributeMapping[] }>(
    restUrl(parent, 'usersync/v1/config'),
    { basic: asAdmin(parent) },
  );
  if (config.status !== 200) throw new Error(`config: ${config.status} ${config.text}`);
  const entries = outboundEntries(config.body.attributeMap);
  const resources: ScimResource[] = [];
  for (let page = 1; ; page++) {
    const answer = await request<{ users: UserSnapshot[] }>(
      `${restUrl(parent, 'usersync/v1/users')}?connection=child&per_page=100&page=${page}`,
      { basic: asService(parent) },
    );
    if (answer.status !== 200) throw new Error(`users: ${answer.status} ${answer.text}`);
    for (const user of answer.body.users)
      if (user.login.startsWith('existing'))
        resources.push(scimUser(localValues(user, entries), entries, String(user.id)));
    if (answer.body.users.length < 100) return resources;
  }
}

/** A pushed SCIM User as another person: other userName, emails and external id. */
function asOtherUser(resource: ScimResource, n: number, prefix: string): ScimResource {
  const emails = Array.isArray(resource.emails)
    ? (resource.emails as { value?: string }[]).map((email) => ({
        ...email,
        value: `${prefix}${n}-${email.value}`,
      }))
    : undefined;
  return {
    ...resource,
    userName: `${prefix}${n}-${String(resource.userName)}`,
    externalId: `${prefix}-${n}`,
    ...(emails ? { emails } : {}),
  };
}

/** A minimal SCIM User: userName, name and one email. */
function minimalUser(n: number): ScimResource {
  return {
    schemas: [USER],
    userName: `inbound${n}`,
    externalId: `inbound-${n}`,
    name: { givenName: 'Bench', familyName: `User ${n}` },
    emails: [{ value: `inbound${n}@example.com`, primary: true, type: 'work' }],
    active: true,
  };
}

async function inboundBulk(
  child: Stack,
  users: number,
  connection: string,
  resource: (n: number) => ScimResource,
): Promise<number> {
  const token = await request<{ token: string }>(restUrl(child, 'usersync/v1/tokens'), {
    basic: { user: child.wordpress.adminUser, password: child.wordpress.adminAppPassword },
    method: 'POST',
    body: { name: `Bulk reference ${connection}`, connection },
  });
  // The sidecar learns new tokens within seconds; wait until this one is accepted.
  for (let i = 0; ; i++) {
    const probe = await request(`${child.sidecar.scimUrl}/Users?count=1`, {
      bearer: token.body.token,
    });
    if (probe.status === 200) break;
    if (i > 100) throw new Error(`the new SCIM token is refused: ${probe.status} ${probe.text}`);
    await sleep(200);
  }
  const chunks: number[][] = [];
  for (let i = 0; i < users; i += 100)
    chunks.push(Array.from({ length: Math.min(100, users - i) }, (_, n) => i + n));
  const start = process.hrtime.bigint();
  let next = 0;
  const worker = async () => {
    while (next < chunks.length) {
      const chunk = chunks[next++]!;
      const answer = await request<{ Operations: { status: string }[] }>(
        `${child.sidecar.scimUrl}/Bulk`,
        {
          method: 'POST',
          bearer: token.body.token,
          headers: { 'content-type': 'application/scim+json' },
          body: {
            schemas: [BULK],
            Operations: chunk.map((n) => ({
              method: 'POST',
              path: '/Users',
              bulkId: String(n),
              data: resource(n),
            })),
          },
          timeoutMs: 300_000,
        },
      );
      const failed = answer.body.Operations?.filter((op) => op.status !== '201') ?? [];
      if (answer.status !== 200 || failed.length)
        throw new Error(
          `/Bulk: ${answer.status}, ${failed.length} failed: ${answer.text.slice(0, 300)}`,
        );
    }
  };
  await Promise.all([worker(), worker()]);
  return users / (Number(process.hrtime.bigint() - start) / 1e9);
}

async function delays(parent: Stack, child: Stack, updates: number): Promise<number[]> {
  const parentId = await wpEval<number>(
    parent,
    "echo (int) get_user_by( 'login', 'existing0' )->ID;",
  );
  const onParent = await request<{ users: { id: number; externalId: string | null }[] }>(
    `${restUrl(parent, 'usersync/v1/users')}?id=${parentId}&connection=child`,
    { basic: asService(parent) },
  );
  const childId = Number(onParent.body.users[0]?.externalId);
  if (!childId) throw new Error('the benchmark user is not linked to the child');
  const admin = { user: parent.wordpress.adminUser, password: parent.wordpress.adminAppPassword };
  const result: number[] = [];
  for (let i = 0; i < updates; i++) {
    const name = `Delay ${i}`;
    const start = performance.now();
    const answer = await request(restUrl(parent, `wp/v2/users/${parentId}`), {
      method: 'POST',
      basic: admin,
      body: { first_name: name },
    });
    if (answer.status !== 200) throw new Error(`update: ${answer.status} ${answer.text}`);
    for (;;) {
      const user = await childUser(child, childId);
      if (user?.firstName === name) break;
      if (performance.now() - start > 60_000) throw new Error(`update ${i} did not arrive in 60 s`);
      await sleep(20);
    }
    result.push(performance.now() - start);
  }
  return result;
}

async function main(): Promise<void> {
  const options = parseOptions(process.argv.slice(2));
  say(
    `UserSync outbound benchmark: full push of ${options.users} users, ${options.updates} updates`,
  );
  const env = { LOG_LEVEL: 'warn', SCIM_RATE_LIMIT: '100000', SCIM_RATE_BURST: '100000' };
  const [parent, child] = await Promise.all([
    startStack({ name: 'bench-parent', sidecarEnv: env }),
    startStack({ name: 'bench-child', sidecarEnv: env }),
  ]);
  try {
    say(
      `parent ${parent.wordpress.url} (sidecar ${parent.sidecar.url}), child ${child.wordpress.url} (sidecar ${child.sidecar.url})`,
    );
    await createUsers(parent, 'existing', options.users);
    // Without a peer the sidecar acknowledges the whole feed: the users exist "before".
    for (;;) {
      const page = await request<{ latest: number; acked: number }>(
        `${restUrl(parent, 'usersync/v1/changes')}?after=${Number.MAX_SAFE_INTEGER}&limit=1`,
        { basic: asService(parent) },
      );
      if (page.body.acked === page.body.latest) break;
      await sleep(250);
    }
    await pair(parent, child);

    // The SCIM Users the push is about to send (the push changes none of their values).
    const pushed = await pushedResources(parent);
    if (pushed.length !== options.users)
      throw new Error(`found ${pushed.length} users to push, expected ${options.users}`);
    const beforePerSec = await inboundBulk(child, options.users, 'bulk-before', (n) =>
      asOtherUser(pushed[n]!, n, 'before'),
    );
    say(
      `inbound /Bulk, the same SCIM Users, before      ${options.users} users: ${beforePerSec.toFixed(1)} users/s`,
    );
    const pushPerSec = await fullPush(parent, child, options.users);
    say(
      `full push, parent → child                       ${options.users} users: ${pushPerSec.toFixed(1)} users/s`,
    );
    const afterPerSec = await inboundBulk(child, options.users, 'bulk-same', (n) =>
      asOtherUser(pushed[n]!, n, 'same'),
    );
    say(
      `inbound /Bulk, the same SCIM Users, after       ${options.users} users: ${afterPerSec.toFixed(1)} users/s`,
    );
    const samePerSec = (beforePerSec + afterPerSec) / 2;
    say(
      `inbound /Bulk, the same SCIM Users (reference)  mean of before and after: ${samePerSec.toFixed(1)} users/s`,
    );
    const bulkPerSec = await inboundBulk(child, options.users, 'bulk', minimalUser);
    say(
      `inbound /Bulk, minimal SCIM Users               ${options.users} users: ${bulkPerSec.toFixed(1)} users/s`,
    );
    say(`full push / inbound /Bulk of the same users     ${(pushPerSec / samePerSec).toFixed(2)}×`);
    say(`full push / inbound /Bulk of minimal users      ${(pushPerSec / bulkPerSec).toFixed(2)}×`);

    const measured = await delays(parent, child, options.updates);
    const median = percentile(measured, 50);
    const p95 = percentile(measured, 95);
    say(
      `update on the parent → arrival on the child     median ${median.toFixed(0)} ms, p95 ${p95.toFixed(0)} ms, max ${Math.max(...measured).toFixed(0)} ms (${measured.length} updates)`,
    );
    say(
      JSON.stringify({
        medianDelayMs: Math.round(median),
        p95DelayMs: Math.round(p95),
        fullPushPerSec: Math.round(pushPerSec * 10) / 10,
        inboundBulkPerSec: Math.round(bulkPerSec * 10) / 10,
        inboundBulkSameUsersPerSec: Math.round(samePerSec * 10) / 10,
        inboundBulkSameUsersBeforePerSec: Math.round(beforePerSec * 10) / 10,
        inboundBulkSameUsersAfterPerSec: Math.round(afterPerSec * 10) / 10,
        pushRatioSameUsers: Math.round((pushPerSec / samePerSec) * 100) / 100,
        users: options.users,
        updates: options.updates,
      }),
    );
  } finally {
    await Promise.all([parent.stop(), child.stop()]);
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`${(error as Error).stack ?? String(error)}\n`);
  process.exit(1);
});
