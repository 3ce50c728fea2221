/**
 * Audit log tab: every change UserSync made or refused, filtered and paged by the server,
 * exportable as CSV, with the retention period.
 */

/**
 * WordPress dependencies
 */
import { Button, Card, CardBody, CardHeader, Notice } from '@wordpress/components';
import { useEffect, useRef, useState } from '@wordpress/element';
import { __ } from '@wordpress/i18n';

/**
 * Internal dependencies
 */
import { exportAudit, fieldErrors, getAuditFacets, listAudit, toApiError } from '../../api';
import type { ApiError, AuditFilters as AuditQuery, AuditPage } from '../../api';
import AuditFilters, { NO_FILTERS } from '../../components/audit-filters';
import { dateRange } from '../../components/audit-filters/dates';
import type { AuditFilterValues } from '../../components/audit-filters/types';
import AuditTable from '../../components/audit-table';
import ErrorNotice from '../../components/error-notice';
import LoadingState from '../../components/loading-state';
import Pagination from '../../components/pagination';
import RetentionSetting from '../../components/retention-setting';
import { useRequest } from '../../hooks/use-request';
import { saveBlob } from '../../lib/download';

export const PER_PAGE = 20;

/** Filters given in the page address (`&run=42`, `&user=ada`, …), e.g. by a run's summary. */
export function filtersFromUrl(search: string = window.location.search): AuditFilterValues {
  const params = new URLSearchParams(search);
  const filters = { ...NO_FILTERS };
  for (const key of Object.keys(NO_FILTERS) as (keyof AuditFilterValues)[]) {
    filters[key] = params.get(key) ?? '';
  }
  return filters;
}

/**
 * Puts the filters in the page address (and takes cleared ones out), so a reload or a shared
 * link shows the same entries and "Clear filters" leaves no `&run=` behind.
 */
function rememberFilters(filters: AuditFilterValues): void {
  const url = new URL(window.location.href);
  for (const key of Object.keys(NO_FILTERS) as (keyof AuditFilterValues)[]) {
    if (filters[key]) {
      url.searchParams.set(key, filters[key]);
    } else {
      url.searchParams.delete(key);
    }
  }
  window.history.replaceState(window.history.state, '', url.toString());
}

/** What the plugin is asked for. */
function toQuery(filters: AuditFilterValues): AuditQuery {
  const { from, to, ...rest } = filters;
  const { after, before } = dateRange(from, to);
  return { ...rest, after, before };
}

export default function AuditLog() {
  const [filters, setFilters] = useState<AuditFilterValues>(() => filtersFromUrl());
  const [page, setPage] = useState(1);
  const [result, setResult] = useState<AuditPage | null>(null);
  const [error, setError] = useState<ApiError | null>(null);
  const [isLoading, setIsLoading] = useState(true);
  const [attempt, setAttempt] = useState(0);
  const [isExporting, setIsExporting] = useState(false);
  const [exportError, setExportError] = useState<ApiError | null>(null);
  const facets = useRequest(getAuditFacets);
  const latest = useRef(0);

  useEffect(() => {
    const current = ++latest.current;
    setIsLoading(true);
    setError(null);
    listAudit(toQuery(filters), page, PER_PAGE).then(
      (answer) => {
        if (current === latest.current) {
          setResult(answer);
          setIsLoading(false);
        }
      },
      (failure: unknown) => {
        if (current === latest.current) {
          setError(toApiError(failure));
          setIsLoading(false);
        }
      },
    );
  }, [filters, page, attempt]);

  // Answers that arrive after the tab is gone are ignored.
  useEffect(
    () => () => {
      latest.current++;
    },
    [],
  );

  const apply = (next: AuditFilterValues) => {
    setFilters(next);
    setPage(1);
    rememberFilters(next);
  };

  const onExport = async () => {
    if (isExporting) {
      return;
    }
    setIsExporting(true);
    setExportError(null);
    try {
      const file = await exportAudit(toQuery(filters));
      saveBlob(file.blob, file.filename);
    } catch (failure) {
      setExportError(toApiError(failure));
    } finally {
      setIsExporting(false);
    }
  };

  // A refused date names the parameter (`after`/`before`); show it on the field.
  const paramErrors = error ? fieldErrors(error) : {};
  const filterErrors: Record<string, string> = {};
  if (paramErrors.after) {
    filterErrors.from = paramErrors.after;
  }
  if (paramErrors.before) {
    filterErrors.to = paramErrors.before;
  }
  const isFiltered = Object.values(filters).some((value) => value !== '');

  let list;
  if (error && Object.keys(filterErrors).length === 0) {
    list = (
      <ErrorNotice
        title={__('The audit log could not be loaded.', 'usersync')}
        error={error}
        onRetry={() => setAttempt((n) => n + 1)}
      />
    );
  } else if (!result) {
    list = isLoading ? <LoadingState label={__('Loading entries…', 'usersync')} /> : null;
  } else if (result.entries.length === 0) {
    list = (
      <p className="usersync-empty">
        {isFiltered
          ? __('No entries match these filters.', 'usersync')
          : __(
              'The audit log is empty. Every user UserSync creates, updates, disables or deletes, and every refused change, will be listed here.',
              'usersync',
            )}
      </p>
    );
  } else {
    list = (
      <div className={isLoading ? 'usersync-audit-list is-loading' : 'usersync-audit-list'}>
        {isLoading ? <LoadingState label={__('Loading entries…', 'usersync')} /> : null}
        <AuditTable entries={result.entries} />
      </div>
    );
  }

  const pagination = (label: string) =>
    result ? (
      <Pagination
        label={label}
        page={page}
        totalPages={result.totalPages}
        total={result.total}
        isBusy={isLoading}
        onChange={setPage}
      />
    ) : null;

  return (
    <div className="usersync-audit-log">
      <Card className="usersync-card">
        <CardHeader>
          <h2 className="usersync-card__title">{__('Audit log', 'usersync')}</h2>
          <Button
            variant="secondary"
            onClick={onExport}
            isBusy={isExporting}
            aria-disabled={isExporting}
          >
            {__('Export CSV', 'usersync')}
          </Button>
        </CardHeader>
        <CardBody>
          <AuditFilters
            value={filters}
            facets={facets.data}
            onApply={apply}
            errors={filterErrors}
          />
          {exportError ? (
            <ErrorNotice title={__('The export failed.', 'usersync')} error={exportError} />
          ) : null}
          {facets.error ? (
            <Notice status="warning" isDismissible={false}>
              {__('The lists of sources and actions could not be loaded.', 'usersync')}
            </Notice>
          ) : null}
          {pagination(__('Pages of the audit log', 'usersync'))}
          {list}
          {result && result.totalPages > 1
            ? pagination(__('Pages of the audit log, bottom', 'usersync'))
            : null}
        </CardBody>
      </Card>
      <Card className="usersync-card">
        <CardHeader>
          <h2 className="usersync-card__title">{__('Retention', 'usersync')}</h2>
        </CardHeader>
        <CardBody>
          <RetentionSetting
            onSaved={() => {
              setAttempt((n) => n + 1);
              facets.reload();
            }}
          />
        </CardBody>
      </Card>
    </div>
  );
}
