// Where the test stack keeps its files: a cached WordPress template and one folder per stack.
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** Repository root (this file lives in e2e/src/stack/). */
export const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');

/** Local state that is never committed (.gitignore lists .usersync/). */
export const stateDir = path.join(repoRoot, '.usersync');

/** Prepared WordPress copies, reused by every stack. */
export const cacheDir = process.env.USERSYNC_CACHE_DIR ?? path.join(stateDir, 'cache');

/** One folder per running stack: site files, SQLite store, logs. */
export const stacksDir = process.env.USERSYNC_STACKS_DIR ?? path.join(stateDir, 'stacks');

/** The plugin folder that is symlinked into every site. */
export const pluginDir = process.env.USERSYNC_PLUGIN_DIR ?? path.join(repoRoot, 'plugin');

/** The sidecar entry point, run from source with tsx. */
export const sidecarMain = path.join(repoRoot, 'sidecar', 'src', 'main.ts');

/** PHP helpers shipped with the stack (router, installer, must-use plugin). */
export const phpAssetsDir = path.join(path.dirname(fileURLToPath(import.meta.url)), 'php');
