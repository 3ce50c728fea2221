// A private database and user per stack on the running MariaDB server, created and dropped
// through the `mariadb` command line client as root (unix socket authentication).
import crypto from 'node:crypto';

import { run } from './process.js';

export interface Database {
  name: string;
  user: string;
  password: string;
  /** WordPress DB_HOST value: localhost over the server's unix socket. */
  host: string;
}

/** Prefix of every database this module creates; the owner's pid follows it. */
export const DATABASE_PREFIX = 'usersync_s';

let sequence = 0;

/** `usersync_s<pid>_<n>`: the pid lets a later run drop what a killed run left behind. */
export function databaseName(): string {
  sequence += 1;
  return `${DATABASE_PREFIX}${process.pid}_${sequence}`;
}

export async function createDatabase(
  client: string,
  socket: string,
  name: string,
): Promise<Database> {
  const password = crypto.randomBytes(18).toString('base64url');
  await sql(
    client,
    [
      `DROP DATABASE IF EXISTS \`${name}\``,
      `DROP USER IF EXISTS '${name}'@'localhost'`,
      `CREATE DATABASE \`${name}\` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_520_ci`,
      `CREATE USER '${name}'@'localhost' IDENTIFIED BY '${password}'`,
      `GRANT ALL PRIVILEGES ON \`${name}\`.* TO '${name}'@'localhost'`,
    ].join(';\n'),
  );
  return { name, user: name, password, host: `localhost:${socket}` };
}

export async function dropDatabase(client: string, name: string): Promise<void> {
  await sql(client, dropStatements(name));
}

export function dropStatements(name: string): string {
  return `DROP DATABASE IF EXISTS \`${name}\`;\nDROP USER IF EXISTS '${name}'@'localhost'`;
}

/** Names of databases made by this module (by any process), for cleaning up after a crash. */
export async function listStackDatabases(client: string): Promise<string[]> {
  const out = await sql(client, `SHOW DATABASES LIKE '${DATABASE_PREFIX}%'`);
  return out
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line.startsWith(DATABASE_PREFIX));
}

/** The pid encoded in a stack database name, if any. */
export function ownerPid(name: string): number | undefined {
  const match = new RegExp(`^${DATABASE_PREFIX}(\\d+)_\\d+$`).exec(name);
  return match?.[1] ? Number(match[1]) : undefined;
}

async function sql(client: string, statements: string): Promise<string> {
  const result = await run(client, ['-uroot', '-N', '-B'], {
    input: `${statements};\n`,
    timeoutMs: 30_000,
  });
  if (result.code !== 0) {
    throw new Error(`MariaDB refused: ${result.stderr.trim() || `exit code ${result.code}`}`);
  }
  return result.stdout;
}
