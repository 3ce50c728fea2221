/**
 * The settings as a file: export (secrets left out) and import (checked first, then written
 * all or nothing).
 */

/**
 * WordPress dependencies
 */
import apiFetch from '@wordpress/api-fetch';

/**
 * Internal dependencies
 */
import { toApiError } from './errors';

const EXPORT_PATH = '/usersync/v1/settings/export';
const IMPORT_PATH = '/usersync/v1/settings/import';

/** What an import does (or, before it is confirmed, would do). */
export interface SettingsImportSummary {
  /** True once written; false for the check before confirming. */
  imported: boolean;
  /** Where the file came from, as it says. */
  source: { site: string | null; exportedAt: string | null; pluginVersion: string | null };
  /** Configuration parts the file replaces: attributeMap, roleMap, deprovision, audit. */
  config: string[];
  /** Slugs of the connections added and updated. */
  connections: { created: string[]; updated: string[] };
  /** Slugs of the peers added and updated. */
  peers: { created: string[]; updated: string[] };
  /** What the admin still has to do (secrets to enter). */
  notes: string[];
}

/** A downloaded settings file. */
export interface SettingsExport {
  blob: Blob;
  filename: string;
}

/** `usersync-settings-20250301-100000.json`, in the admin's local time. */
function exportFilename(now: Date): string {
  const pad = (n: number) => String(n).padStart(2, '0');
  const date = `${now.getFullYear()}${pad(now.getMonth() + 1)}${pad(now.getDate())}`;
  const time = `${pad(now.getHours())}${pad(now.getMinutes())}${pad(now.getSeconds())}`;
  return `usersync-settings-${date}-${time}.json`;
}

/**
 * The settings file of this site.
 *
 * @throws {ApiError} When the request fails.
 */
export async function exportSettings(now: Date = new Date()): Promise<SettingsExport> {
  try {
    const file = await apiFetch<unknown>({ path: EXPORT_PATH });
    return {
      blob: new Blob([`${JSON.stringify(file, null, 2)}\n`], { type: 'application/json' }),
      filename: exportFilename(now),
    };
  } catch (error) {
    throw toApiError(error);
  }
}

/**
 * Checks a settings file (`confirm` false: nothing is written) or imports it.
 *
 * @throws {ApiError} When the file is refused: `params` names each field at fault.
 */
export async function importSettings(
  file: unknown,
  confirm: boolean,
): Promise<SettingsImportSummary> {
  try {
    return await apiFetch<SettingsImportSummary>({
      path: IMPORT_PATH,
      method: 'POST',
      data: { file, confirm },
    });
  } catch (error) {
    throw toApiError(error);
  }
}
