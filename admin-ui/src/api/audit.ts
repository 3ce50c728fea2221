/**
 * The audit log: pages of entries, the values to filter by, and the CSV export.
 */

/**
 * WordPress dependencies
 */
import apiFetch from '@wordpress/api-fetch';
import { addQueryArgs } from '@wordpress/url';

/**
 * Internal dependencies
 */
import { toApiError } from './errors';
import type { AuditEntry, AuditFacets, AuditFilters, AuditPage } from './types';

const AUDIT_PATH = '/usersync/v1/audit';

/** The filters worth sending: empty ones are left out so the URL stays readable. */
export function auditQuery(filters: AuditFilters): Record<string, string> {
  return Object.fromEntries(
    Object.entries(filters)
      .map(([key, value]) => [key, typeof value === 'string' ? value.trim() : ''])
      .filter(([, value]) => value !== ''),
  );
}

/** Reads the JSON error body of a response api-fetch did not parse. */
async function failureOf(response: Response): Promise<unknown> {
  try {
    return await response.json();
  } catch {
    return null;
  }
}

/** api-fetch rejects with the Response itself when `parse` is false and the status is not 2xx. */
async function rejection(error: unknown): Promise<unknown> {
  const isResponse =
    typeof error === 'object' &&
    error !== null &&
    typeof (error as Response).json === 'function' &&
    typeof (error as Response).status === 'number';
  return isResponse ? failureOf(error as Response) : error;
}

/**
 * One page of entries, newest first, with the totals the plugin counted.
 *
 * @throws {ApiError} When the request fails (e.g. `rest_invalid_param` for a bad date).
 */
export async function listAudit(
  filters: AuditFilters,
  page: number,
  perPage: number,
): Promise<AuditPage> {
  try {
    const response = await apiFetch<Response, false>({
      path: addQueryArgs(AUDIT_PATH, { ...auditQuery(filters), page, per_page: perPage }),
      parse: false,
    });
    const entries = (await response.json()) as AuditEntry[];
    const total = Number(response.headers.get('X-WP-Total') ?? entries.length);
    const totalPages = Number(response.headers.get('X-WP-TotalPages') ?? 1);
    return { entries, total, totalPages };
  } catch (error) {
    throw toApiError(await rejection(error));
  }
}

/**
 * Sources and actions found in the log, to offer as filters.
 *
 * @throws {ApiError} When the request fails.
 */
export async function getAuditFacets(): Promise<AuditFacets> {
  try {
    return await apiFetch<AuditFacets>({ path: `${AUDIT_PATH}/facets` });
  } catch (error) {
    throw toApiError(error);
  }
}

/** A downloaded export. */
export interface AuditExport {
  blob: Blob;
  /** File name the plugin suggested in Content-Disposition. */
  filename: string;
}

/**
 * The entries matching the filters as CSV.
 *
 * @throws {ApiError} When the request fails.
 */
export async function exportAudit(filters: AuditFilters): Promise<AuditExport> {
  try {
    const response = await apiFetch<Response, false>({
      path: addQueryArgs(`${AUDIT_PATH}/export`, auditQuery(filters)),
      parse: false,
    });
    const disposition = response.headers.get('Content-Disposition') ?? '';
    const match = /filename="([^"]+)"/.exec(disposition);
    return { blob: await response.blob(), filename: match ? match[1] : 'usersync-audit.csv' };
  } catch (error) {
    throw toApiError(await rejection(error));
  }
}
