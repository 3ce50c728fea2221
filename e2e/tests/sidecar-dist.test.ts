// The sidecar as an operator runs it in production: `npm run build -w sidecar`, then plain
// `node sidecar/dist/main.js` (no tsx, NODE_ENV=production) against a real WordPress. The
// build must compile, and the built program must serve health, metrics and SCIM.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, test } from 'node:test';

import { asAdmin, scimRequest } from '../src/helpers.js';
import { request, startStack, type Stack } from '../src/stack/index.js';
import { repoRoot } from '../src/stack/paths.js';

const USER = 'urn:ietf:params:scim:schemas:core:2.0:User';
const entry = path.join(repoRoot, 'sidecar', 'dist', 'main.js');

let stack: Stack;

before(
  async () => {
    const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
    const build = spawnSync(npm, ['run', 'build', '-w', 'sidecar'], {
      cwd: repoRoot,
      encoding: 'utf8',
      timeout: 300_000,
    });
    assert.equal(
      build.status,
      0,
      `npm run build -w sidecar failed:\n${build.stdout}${build.stderr}`,
    );
    assert.ok(fs.existsSync(entry), `${entry} was not built`);
    stack = await startStack({ name: 'sidecar-dist', sidecarEntry: entry });
  },
  { timeout: 360_000 },
);
after(() => stack?.stop());

test('the built sidecar answers /healthz with its version and a reachable WordPress', async () => {
  const health = await request<{ status: string; version: string; wordpress: { ok: boolean } }>(
    `${stack.sidecar.url}/healthz`,
    { bearer: stack.sidecar.apiKey },
  );
  assert.equal(health.status, 200, health.text);
  const pkg = JSON.parse(
    fs.readFileSync(path.join(repoRoot, 'sidecar', 'package.json'), 'utf8'),
  ) as {
    version: string;
  };
  assert.equal(health.body.version, pkg.version);
  assert.match(health.text, /"wordpress":\{[^}]*"ok":true/);

  const metrics = await request(`${stack.sidecar.url}/metrics`);
  assert.equal(metrics.status, 200);
  assert.match(metrics.text, /^# HELP /m);
});

test('the built sidecar provisions, finds and deprovisions a user over SCIM', async () => {
  const scim = (method: string, route: string, body?: unknown) =>
    scimRequest(stack, method, route, body);

  const created = await scim('POST', '/Users', {
    schemas: [USER],
    userName: 'dist.user@example.org',
    externalId: 'dist-1',
    name: { givenName: 'Dist', familyName: 'User' },
    emails: [{ value: 'dist.user@example.org', primary: true }],
    active: true,
  });
  assert.equal(created.status, 201, created.text);
  const id = String(created.body.id);

  const user = await request<{ email: string; first_name: string }>(
    `${stack.wordpress.url}/wp-json/wp/v2/users/${id}?context=edit`,
    { basic: asAdmin(stack) },
  );
  assert.equal(user.status, 200, user.text);
  assert.equal(user.body.email, 'dist.user@example.org');
  assert.equal(user.body.first_name, 'Dist');

  const found = await scim('GET', `/Users?filter=${encodeURIComponent('externalId eq "dist-1"')}`);
  assert.equal(found.status, 200, found.text);
  assert.equal(found.body.totalResults, 1);

  const removed = await scim('DELETE', `/Users/${id}`);
  assert.equal(removed.status, 204, removed.text);
  const gone = await scim('GET', `/Users/${id}`);
  assert.equal(gone.status, 404, gone.text);
});
