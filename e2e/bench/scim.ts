// `npm run bench:scim`: how fast SCIM provisioning writes users into WordPress, next to what
// WordPress itself manages. On one fresh stack (the sidecar's SCIM rate limit raised out of
// the way) it measures, in this order:
//   1. one SCIM POST /Users per user, sequentially (as Entra ID provisions),
//   2. the same with a few requests in flight,
//   3. /Bulk with 100 operations per request and two requests in flight (as an IdP batches),
//   4. the raw wp_insert_user() loop on the same site, one php process per core (and, for
//      reference, the same loop with the site's plugins switched off),
//   5. the latency of one SCIM POST /Users against one direct POST /wp-json/wp/v2/users
//      (medians, interleaved so both see the same site).
// It prints users/s for each and the ratios; the last line is one JSON object.
//
//   npm run bench:scim [-- --users 2000 --latency 50 --in-flight 4 --bulk-size 100 --bulk-in-flight 2]
import os from 'node:os';

import { rawInsert } from './lib/raw-insert.js';
import { asAdmin, restUrl } from '../src/helpers.js';
import { ensurePrerequisites, request, startStack, type Stack } from '../src/stack/index.js';

const USER = 'urn:ietf:params:scim:schemas:core:2.0:User';
const ENTERPRISE = 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User';
const BULK = 'urn:ietf:params:scim:api:messages:2.0:BulkRequest';

interface Options {
  users: number;
  latency: number;
  inFlight: number;
  bulkSize: number;
  bulkInFlight: number;
}

function parseOptions(argv: string[]): Options {
  const options: Options = {
    users: 2000,
    latency: 50,
    inFlight: 4,
    bulkSize: 100,
    bulkInFlight: 2,
  };
  const names: Record<string, keyof Options> = {
    '--users': 'users',
    '--latency': 'latency',
    '--in-flight': 'inFlight',
    '--bulk-size': 'bulkSize',
    '--bulk-in-flight': 'bulkInFlight',
  };
  for (let i = 0; i < argv.length; i++) {
    const key = names[argv[i]!];
    const value = Number(argv[i + 1]);
    if (!key || !Number.isInteger(value) || value < 1) {
      throw new Error(
        `usage: npm run bench:scim [-- --users N --latency N --in-flight N --bulk-size N --bulk-in-flight N] (got "${argv[i]}")`,
      );
    }
    options[key] = value;
    i++;
  }
  if (options.bulkSize > 1000)
    throw new Error('--bulk-size may be at most 1000 (bulkMaxOperations)');
  return options;
}

const say = (line = '') => process.stdout.write(`${line}\n`);

/** An Entra-shaped SCIM User: the attributes Entra ID's default mapping sends. */
function scimUser(tag: string, n: number) {
  const userName = `${tag}.${n}@contoso.example`;
  return {
    schemas: [USER, ENTERPRISE],
    externalId: `${tag}-${n}`,
    userName,
    active: true,
    displayName: `Bench User ${tag} ${n}`,
    emails: [{ primary: true, type: 'work', value: userName }],
    name: { givenName: 'Bench', familyName: `User ${n}` },
    title: 'Engineer',
    [ENTERPRISE]: { department: 'Research' },
  };
}

/** Runs `work` over 0..count-1 with at most `concurrency` in flight. */
async function pool(count: number, concurrency: number, work: (i: number) => Promise<void>) {
  let next = 0;
  const worker = async () => {
    while (next < count) await work(next++);
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, count) }, worker));
}

async function timed(work: () => Promise<void>): Promise<number> {
  const start = process.hrtime.bigint();
  await work();
  return Number(process.hrtime.bigint() - start) / 1e9;
}

const median = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
};

class Bench {
  constructor(private readonly stack: Stack) {}

  private scimHeaders = () => ({
    authorization: `Bearer ${this.stack.sidecar.scimToken}`,
    'content-type': 'application/scim+json',
  });

  async scimPost(body: unknown): Promise<void> {
    const response = await fetch(`${this.stack.sidecar.scimUrl}/Users`, {
      method: 'POST',
      headers: this.scimHeaders(),
      body: JSON.stringify(body),
    });
    const text = await response.text();
    if (response.status !== 201)
      throw new Error(`SCIM POST /Users answered ${response.status}: ${text.slice(0, 500)}`);
  }

  async bulk(operations: unknown[]): Promise<void> {
    const response = await fetch(`${this.stack.sidecar.scimUrl}/Bulk`, {
      method: 'POST',
      headers: this.scimHeaders(),
      body: JSON.stringify({ schemas: [BULK], Operations: operations }),
    });
    const text = await response.text();
    if (response.status !== 200)
      throw new Error(`SCIM POST /Bulk answered ${response.status}: ${text.slice(0, 500)}`);
    const results = (JSON.parse(text) as { Operations: { status: string; response?: unknown }[] })
      .Operations;
    const failed = results.filter((r) => r.status !== '201');
    if (failed.length > 0 || results.length !== operations.length)
      throw new Error(
        `/Bulk: ${failed.length} of ${operations.length} operations failed: ${JSON.stringify(failed[0])}`,
      );
  }

  async directPost(n: number): Promise<void> {
    const login = `direct.${n}`;
    const answer = await request(restUrl(this.stack, 'wp/v2/users'), {
      method: 'POST',
      basic: asAdmin(this.stack),
      body: {
        username: login,
        email: `${login}@contoso.example`,
        password: `Pw-${n}-${Math.random().toString(36).slice(2)}`,
        first_name: 'Direct',
        last_name: `User ${n}`,
        name: `Direct User ${n}`,
        roles: ['subscriber'],
      },
    });
    if (answer.status !== 201)
      throw new Error(`POST /wp/v2/users answered ${answer.status}: ${answer.text.slice(0, 500)}`);
  }

  async userCount(): Promise<number> {
    const answer = await request(`${restUrl(this.stack, 'wp/v2/users')}?context=edit&per_page=1`, {
      basic: asAdmin(this.stack),
    });
    return Number(answer.headers.get('x-wp-total'));
  }

  /** Runs a provisioning phase and checks that exactly `expected` users were added. */
  async phase(name: string, expected: number, work: () => Promise<void>) {
    const before = await this.userCount();
    const seconds = await timed(work);
    const added = (await this.userCount()) - before;
    if (added !== expected)
      throw new Error(`${name}: expected ${expected} new users, found ${added}`);
    const perSec = expected / seconds;
    say(
      `${name.padEnd(48)} ${expected} users in ${seconds.toFixed(1)} s = ${perSec.toFixed(1)} users/s`,
    );
    return perSec;
  }
}

async function main(): Promise<void> {
  const options = parseOptions(process.argv.slice(2));
  const cores = os.availableParallelism();
  say(`UserSync SCIM benchmark: ${options.users} users per phase, ${cores} cores`);
  const prerequisites = await ensurePrerequisites({ log: say });
  const stack = await startStack({
    name: 'bench',
    tokenName: 'Bench',
    sidecarEnv: { SCIM_RATE_LIMIT: '100000', SCIM_RATE_BURST: '100000', LOG_LEVEL: 'warn' },
  });
  try {
    say(
      `WordPress ${stack.wordpress.version} at ${stack.wordpress.url}, sidecar ${stack.sidecar.url}`,
    );
    const bench = new Bench(stack);

    // Warm-up: both paths once, so neither pays for first-request work in its figures.
    for (let i = 0; i < 5; i++) {
      await bench.scimPost(scimUser('warm', i));
      await bench.directPost(1_000_000 + i);
    }

    const singlePostPerSec = await bench.phase(
      'SCIM POST /Users, one at a time',
      options.users,
      async () => {
        for (let i = 0; i < options.users; i++) await bench.scimPost(scimUser('seq', i));
      },
    );
    const concurrentPerSec = await bench.phase(
      `SCIM POST /Users, ${options.inFlight} in flight`,
      options.users,
      () => pool(options.users, options.inFlight, (i) => bench.scimPost(scimUser('par', i))),
    );
    const requests = Math.ceil(options.users / options.bulkSize);
    const bulkPerSec = await bench.phase(
      `SCIM /Bulk, ${options.bulkSize} per request, ${options.bulkInFlight} in flight`,
      options.users,
      () =>
        pool(requests, options.bulkInFlight, (r) => {
          const from = r * options.bulkSize;
          const to = Math.min(options.users, from + options.bulkSize);
          return bench.bulk(
            Array.from({ length: to - from }, (_, k) => ({
              method: 'POST',
              path: '/Users',
              bulkId: `u${from + k}`,
              data: scimUser('bulk', from + k),
            })),
          );
        }),
    );

    const before = await bench.userCount();
    const raw = await rawInsert({
      php: prerequisites.php,
      wpDir: stack.wordpress.dir,
      count: options.users,
      prefix: 'raw.',
      processes: cores,
    });
    if ((await bench.userCount()) - before !== options.users)
      throw new Error('the raw insert loop did not add every user');
    const rawPerSec = raw.perSec;
    say(
      `${`raw wp_insert_user() loop, ${raw.processes} php processes`.padEnd(48)} ${raw.users} users in ${raw.seconds.toFixed(1)} s = ${rawPerSec.toFixed(1)} users/s`,
    );
    const bare = await rawInsert({
      php: prerequisites.php,
      wpDir: stack.wordpress.dir,
      count: options.users,
      prefix: 'bare.',
      processes: cores,
      plugins: false,
    });
    say(
      `${'  the same with the plugins switched off'.padEnd(48)} ${bare.users} users in ${bare.seconds.toFixed(1)} s = ${bare.perSec.toFixed(1)} users/s`,
    );

    const direct: number[] = [];
    const scim: number[] = [];
    for (let i = 0; i < options.latency; i++) {
      direct.push(await timed(() => bench.directPost(i)));
      scim.push(await timed(() => bench.scimPost(scimUser('lat', i))));
    }
    const directMs = median(direct) * 1000;
    const scimMs = median(scim) * 1000;
    say(
      `${`latency, median of ${options.latency}`.padEnd(48)} POST /wp/v2/users ${directMs.toFixed(1)} ms, SCIM POST /Users ${scimMs.toFixed(1)} ms`,
    );

    const bulkRatio = bulkPerSec / rawPerSec;
    const singleLatencyRatio = scimMs / directMs;
    say();
    say(`/Bulk vs raw wp_insert_user():        ${bulkRatio.toFixed(2)} (target ≥ 1.0)`);
    say(`/Bulk vs the raw loop without plugins: ${(bulkPerSec / bare.perSec).toFixed(2)}`);
    say(`SCIM POST latency vs POST /wp/v2/users: ${singleLatencyRatio.toFixed(2)} (target ≤ 1.3)`);
    say(
      `SCIM POST, ${options.inFlight} in flight vs one at a time: ${(concurrentPerSec / singlePostPerSec).toFixed(2)}`,
    );
    const round = (value: number) => Math.round(value * 100) / 100;
    say(
      JSON.stringify({
        singlePostPerSec: round(singlePostPerSec),
        bulkPerSec: round(bulkPerSec),
        rawPerSec: round(rawPerSec),
        bulkRatio: round(bulkRatio),
        singleLatencyRatio: round(singleLatencyRatio),
      }),
    );
  } finally {
    await stack.stop();
  }
}

main().catch((error: unknown) => {
  process.stderr.write(
    `bench:scim failed: ${error instanceof Error ? error.message : String(error)}\n`,
  );
  process.exitCode = 1;
});
