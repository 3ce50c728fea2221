// Opens the store the configuration names: PostgreSQL when DATABASE_URL is set, else SQLite.
import type { Config } from '../config.js';
import { PostgresStore } from './postgres/index.js';
import { SqliteStore } from './sqlite/index.js';
import type { Store } from './types.js';

export type * from './types.js';

export async function openStore(config: Config['store']): Promise<Store> {
  const store =
    config.kind === 'postgres' ? new PostgresStore(config.url) : new SqliteStore(config.path);
  try {
    await store.migrate();
  } catch (error) {
    await store.close().catch(() => undefined);
    throw error;
  }
  return store;
}
