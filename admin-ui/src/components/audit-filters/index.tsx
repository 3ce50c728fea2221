/**
 * The audit log's filters: source, action, result, user, a range of days and free text.
 * They apply together when the admin presses Filter (or Enter in any field).
 */

/**
 * External dependencies
 */
import type { FormEvent } from 'react';

/**
 * WordPress dependencies
 */
import { Button, SelectControl, TextControl } from '@wordpress/components';
import { useEffect, useState } from '@wordpress/element';
import { __, sprintf } from '@wordpress/i18n';

/**
 * Internal dependencies
 */
import { actionLabel } from '../audit-table';
import { fieldState } from '../field-state';
import { dateRange } from './dates';
import type { AuditFiltersProps, AuditFilterValues } from './types';

export const NO_FILTERS: AuditFilterValues = {
  source: '',
  action: '',
  result: '',
  user: '',
  search: '',
  from: '',
  to: '',
  run: '',
};

function withCurrent(options: { value: string; label: string }[], current: string) {
  if (current !== '' && !options.some((option) => option.value === current)) {
    return [...options, { value: current, label: current }];
  }
  return options;
}

export default function AuditFilters({ value, facets, onApply, errors }: AuditFiltersProps) {
  const [draft, setDraft] = useState(value);
  const [localErrors, setLocalErrors] = useState<Record<string, string>>({});

  // Filters applied from outside (a run link, Clear) replace what is typed.
  useEffect(() => {
    setDraft(value);
    setLocalErrors({});
  }, [value]);

  const set = (field: keyof AuditFilterValues, next: string) => {
    setDraft((current) => ({ ...current, [field]: next }));
    setLocalErrors((current) => {
      const rest = { ...current };
      delete rest[field];
      return rest;
    });
  };

  const onSubmit = (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    const range = dateRange(draft.from, draft.to);
    setLocalErrors(range.errors);
    if (Object.keys(range.errors).length === 0) {
      onApply(draft);
    }
  };

  const shown = { ...errors, ...localErrors };

  const sources = withCurrent(
    [
      { value: '', label: __('All sources', 'usersync') },
      ...(facets?.hasRuns ? [{ value: 'run:*', label: __('All sync runs', 'usersync') }] : []),
      ...(facets?.sources ?? []).map((source) => ({ value: source, label: source })),
    ],
    draft.source,
  );
  const actions = withCurrent(
    [
      { value: '', label: __('All actions', 'usersync') },
      ...(facets?.actions ?? []).map((action) => ({ value: action, label: actionLabel(action) })),
    ],
    draft.action,
  );

  return (
    <form className="usersync-audit-filters" onSubmit={onSubmit} noValidate>
      <div className="usersync-audit-filters__grid">
        <SelectControl
          label={__('Source', 'usersync')}
          value={draft.source}
          options={sources}
          onChange={(next: string) => set('source', next)}
        />
        <SelectControl
          label={__('Action', 'usersync')}
          value={draft.action}
          options={actions}
          onChange={(next: string) => set('action', next)}
        />
        <SelectControl
          label={__('Result', 'usersync')}
          value={draft.result}
          options={[
            { value: '' as string, label: __('All results', 'usersync') },
            { value: 'success', label: __('Success', 'usersync') },
            { value: 'failure', label: __('Failed', 'usersync') },
            { value: 'skipped', label: __('Skipped', 'usersync') },
          ]}
          onChange={(next: string) => set('result', next)}
        />
        <TextControl
          label={__('User (login or id)', 'usersync')}
          value={draft.user}
          autoComplete="off"
          onChange={(next) => set('user', next)}
        />
        <TextControl
          {...fieldState(shown.from)}
          label={__('From', 'usersync')}
          type="date"
          value={draft.from}
          onChange={(next) => set('from', next)}
        />
        <TextControl
          {...fieldState(shown.to)}
          label={__('To', 'usersync')}
          type="date"
          value={draft.to}
          onChange={(next) => set('to', next)}
        />
        <TextControl
          className="usersync-audit-filters__search"
          label={__('Search', 'usersync')}
          help={__('In user names, sources, fields and errors.', 'usersync')}
          type="search"
          value={draft.search}
          onChange={(next) => set('search', next)}
        />
      </div>
      {value.run ? (
        <p className="usersync-audit-filters__run">
          {sprintf(
            /* translators: %s: run id. */
            __('Only the entries of run %s.', 'usersync'),
            value.run,
          )}{' '}
          <Button variant="link" onClick={() => onApply({ ...draft, run: '' })}>
            {__('Show every run', 'usersync')}
          </Button>
        </p>
      ) : null}
      <div className="usersync-audit-filters__actions">
        <Button variant="primary" type="submit">
          {__('Filter', 'usersync')}
        </Button>
        <Button variant="tertiary" onClick={() => onApply(NO_FILTERS)}>
          {__('Clear filters', 'usersync')}
        </Button>
      </div>
    </form>
  );
}
