// `npm start`: a working local UserSync (WordPress with the plugin active, the sidecar on
// SQLite, a SCIM token) until Ctrl-C, which removes all of it again.
import fs from 'node:fs';
import path from 'node:path';

import { adminUiBuildIsStale, runStreaming, seconds } from '../src/cli.js';
import {
  addShutdownHook,
  ensurePrerequisites,
  groupAlive,
  PrerequisiteError,
  shutdown,
  startStack,
  type Stack,
} from '../src/stack/index.js';
import { startDemoDirectory } from '../src/emulators/microsoft-graph/demo.js';
import { startDemoOrg } from '../src/emulators/salesforce/demo.js';
import { repoRoot, stateDir } from '../src/stack/paths.js';
import { pidAlive } from '../src/stack/process.js';

const stackFile = path.join(stateDir, 'stack.json');
const began = Date.now();
const say = (line = '') => process.stdout.write(`${line}\n`);

async function main(): Promise<void> {
  // Fail before building anything when PHP, MariaDB or WordPress are missing (on Debian/Ubuntu
  // as root they are installed here).
  try {
    await ensurePrerequisites({ log: (line) => say(line) });
  } catch (error) {
    process.stderr.write(`\n${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(1);
  }

  if (adminUiBuildIsStale()) {
    say('Building the admin UI (npm run build -w admin-ui)…');
    const build = await runStreaming('npm', ['run', 'build', '-w', 'admin-ui']);
    if (build.code !== 0) {
      process.stderr.write('\nThe admin UI did not build; fix the errors above and try again.\n');
      process.exit(1);
    }
    // webpack leaves unchanged outputs untouched; mark the build as current so the next start
    // does not build again.
    const asset = path.join(repoRoot, 'plugin', 'build', 'index.asset.php');
    if (fs.existsSync(asset)) fs.utimesSync(asset, new Date(), new Date());
  }

  say('Starting WordPress, the UserSync plugin and the sidecar…');
  let stack: Stack;
  try {
    stack = await startStack({
      name: 'local',
      ports: { wordpress: 8080, sidecar: 8787 },
      tokenName: 'Local IdP',
      log: (line) => say(line),
      keepLogsIn: path.join(stateDir, 'last-logs'),
    });
  } catch (error) {
    process.stderr.write(`\n${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(error instanceof PrerequisiteError ? 1 : 2);
  }

  // The file describes a running stack: it goes with it, however the process ends.
  process.once('exit', () => fs.rmSync(stackFile, { force: true }));
  addShutdownHook(() => {
    fs.rmSync(stackFile, { force: true });
    say(
      `\nStopped: WordPress, the sidecar and the database are gone; the logs are in ${path.relative(repoRoot, path.join(stateDir, 'last-logs'))}/.`,
    );
    process.exitCode = 0;
  });

  // A demo directory to press Sync now on: an emulated Entra ID tenant, clearly labelled.
  let demoLines: string[] = [];
  try {
    const demo = await startDemoDirectory({
      url: stack.wordpress.url,
      admin: { user: stack.wordpress.adminUser, password: stack.wordpress.adminAppPassword },
    });
    addShutdownHook(() => demo.stop());
    demoLines = demo.lines;
  } catch (error) {
    demoLines = [
      `  Demo directory    not started: ${error instanceof Error ? error.message : String(error)}`,
    ];
  }

  // A demo Salesforce org: the Salesforce emulator, clearly labelled, connected as "demo-org".
  try {
    const org = await startDemoOrg({
      site: {
        url: stack.wordpress.url,
        admin: { user: stack.wordpress.adminUser, password: stack.wordpress.adminAppPassword },
      },
    });
    addShutdownHook(() => org.stop());
    demoLines = [...demoLines, ...org.lines];
  } catch (error) {
    demoLines = [
      ...demoLines,
      `  Demo org          not started: ${error instanceof Error ? error.message : String(error)}`,
    ];
  }

  fs.mkdirSync(stateDir, { recursive: true });
  const details = {
    wordpress: {
      url: stack.wordpress.url,
      adminUser: stack.wordpress.adminUser,
      adminPassword: stack.wordpress.adminPassword,
      appUser: stack.wordpress.appUser,
      appPassword: stack.wordpress.appPassword,
    },
    sidecar: {
      url: stack.sidecar.url,
      scimUrl: stack.sidecar.scimUrl,
      scimToken: stack.sidecar.scimToken,
    },
  };
  fs.writeFileSync(stackFile, `${JSON.stringify(details, null, 2)}\n`, { mode: 0o600 });

  const wp = stack.wordpress;
  const scim = stack.sidecar;
  const relative = (file: string) => path.relative(repoRoot, file);
  say(`
UserSync is running (ready in ${seconds(Date.now() - began)}).

  WordPress admin   ${wp.url}/wp-admin/
    login           ${wp.adminUser}
    password        ${wp.adminPassword}
  UserSync page     ${wp.url}/wp-admin/users.php?page=usersync
  Sidecar           ${scim.url}   (${scim.url}/healthz, ${scim.url}/metrics)
  SCIM base URL     ${scim.scimUrl}
  SCIM token        ${scim.scimToken}   (token "Local IdP", shown only here)
${demoLines.join('\n')}

Try it:
  curl -s -H 'Authorization: Bearer ${scim.scimToken}' '${scim.scimUrl}/Users?count=5'
  curl -s -X POST -H 'Authorization: Bearer ${scim.scimToken}' -H 'Content-Type: application/scim+json' \\
    -d '{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"ada","name":{"givenName":"Ada","familyName":"Lovelace"},"emails":[{"value":"ada@example.com","primary":true}],"active":true}' \\
    '${scim.scimUrl}/Users'

Connection details: ${relative(stackFile)}
Logs: ${relative(stack.dir)}/ (php.log, debug.log, sidecar.log, mail.log); after Ctrl-C in ${relative(path.join(stateDir, 'last-logs'))}/
Press Ctrl-C to stop.`);

  // Stay in the foreground; report (and end) if a part of the stack dies on its own, and stop
  // like on SIGTERM when the launching process goes away (npm does not pass SIGTERM on).
  const groups = stack.processGroups();
  const ancestors = ancestorPids();
  const watch = setInterval(() => {
    if (ancestors.some((pid) => !pidAlive(pid))) {
      clearInterval(watch);
      void shutdown('SIGTERM');
      return;
    }
    if (groups.every(groupAlive)) return;
    clearInterval(watch);
    process.stderr.write(
      `\nA part of the stack stopped unexpectedly; see the logs in ${relative(stack.dir)}/.\n`,
    );
    void stack.stop({ keepDir: true }).finally(() => {
      fs.rmSync(stackFile, { force: true });
      process.exit(1);
    });
  }, 2000);
}

/** Parent, grandparent… up to npm (Linux only; init and the session leader's parent excluded). */
function ancestorPids(): number[] {
  const pids: number[] = [];
  let pid = process.ppid;
  while (pid > 1 && pids.length < 4 && process.platform === 'linux') {
    pids.push(pid);
    try {
      const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
      const command = stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
      // Up to npm; its own parent (a shell, a terminal) is not ours to watch.
      if (command === 'npm' || command.startsWith('npm ')) break;
      pid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
    } catch {
      break;
    }
  }
  return pids;
}

await main();
