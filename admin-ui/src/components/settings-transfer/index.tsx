/**
 * Settings file: export this site's UserSync settings as JSON (secrets left out) and import
 * such a file, checked first — field errors, or a summary to confirm — then written whole.
 */

/**
 * External dependencies
 */
import type { ChangeEvent } from 'react';

/**
 * WordPress dependencies
 */
import { Button, Card, CardBody, CardHeader, FormFileUpload, Notice } from '@wordpress/components';
import { useState } from '@wordpress/element';
import { __, sprintf } from '@wordpress/i18n';

/**
 * Internal dependencies
 */
import { ApiError, exportSettings, importSettings } from '../../api';
import type { SettingsImportSummary } from '../../api';
import { saveBlob } from '../../lib/download';
import ConfirmDialog from '../confirm-dialog';
import ErrorNotice from '../error-notice';
import type { ImportState, SettingsTransferProps } from './types';

/** The text of a chosen file. */
function readText(file: File): Promise<string> {
  return new Promise((resolve, reject) => {
    const reader = new FileReader();
    reader.onload = () => resolve(String(reader.result ?? ''));
    reader.onerror = () => reject(reader.error ?? new Error('unreadable'));
    reader.readAsText(file);
  });
}

/** Names of the configuration parts as the tabs call them. */
function partLabel(part: string): string {
  switch (part) {
    case 'attributeMap':
      return __('Attribute mapping', 'usersync');
    case 'roleMap':
      return __('Role mapping', 'usersync');
    case 'deprovision':
      return __('Deprovisioning', 'usersync');
    case 'audit':
      return __('Audit log retention', 'usersync');
    default:
      return part;
  }
}

/** One line per kind of change the import makes. */
function summaryLines(summary: SettingsImportSummary): string[] {
  const lines: string[] = [];
  if (summary.config.length > 0) {
    lines.push(
      sprintf(
        /* translators: %s: list of settings areas, e.g. "Attribute mapping, Role mapping". */
        __('Replaces: %s.', 'usersync'),
        summary.config.map(partLabel).join(', '),
      ),
    );
  }
  const list = (slugs: string[]) => slugs.join(', ');
  if (summary.connections.created.length > 0) {
    /* translators: %s: list of connection slugs. */
    lines.push(sprintf(__('Adds connections: %s.', 'usersync'), list(summary.connections.created)));
  }
  if (summary.connections.updated.length > 0) {
    lines.push(
      /* translators: %s: list of connection slugs. */
      sprintf(__('Updates connections: %s.', 'usersync'), list(summary.connections.updated)),
    );
  }
  if (summary.peers.created.length > 0) {
    /* translators: %s: list of peer slugs. */
    lines.push(sprintf(__('Adds peers: %s.', 'usersync'), list(summary.peers.created)));
  }
  if (summary.peers.updated.length > 0) {
    /* translators: %s: list of peer slugs. */
    lines.push(sprintf(__('Updates peers: %s.', 'usersync'), list(summary.peers.updated)));
  }
  return lines;
}

export default function SettingsTransfer({ onImported }: SettingsTransferProps) {
  const [isExporting, setIsExporting] = useState(false);
  const [exportError, setExportError] = useState<ApiError | null>(null);
  const [state, setState] = useState<ImportState>({ step: 'idle' });
  const [importError, setImportError] = useState<ApiError | null>(null);

  const onExport = async () => {
    setIsExporting(true);
    setExportError(null);
    try {
      const { blob, filename } = await exportSettings();
      saveBlob(blob, filename);
    } catch (error) {
      setExportError(error as ApiError);
    } finally {
      setIsExporting(false);
    }
  };

  const onChooseFile = async (event: ChangeEvent<HTMLInputElement>) => {
    const chosen = event.target.files?.[0];
    // The same file may be chosen again after fixing it.
    event.target.value = '';
    if (!chosen) {
      return;
    }
    setImportError(null);
    setState({ step: 'checking', filename: chosen.name });
    let file: unknown;
    try {
      file = JSON.parse(await readText(chosen));
    } catch {
      setState({ step: 'idle' });
      setImportError(
        new ApiError(
          sprintf(
            /* translators: %s: file name. */
            __('%s is not a JSON file. Choose a file made by "Export settings".', 'usersync'),
            chosen.name,
          ),
          'usersync_invalid_import',
        ),
      );
      return;
    }
    try {
      const summary = await importSettings(file, false);
      setState({ step: 'review', filename: chosen.name, file, summary });
    } catch (error) {
      setState({ step: 'idle' });
      setImportError(error as ApiError);
    }
  };

  const onConfirm = async () => {
    if (state.step !== 'review') {
      return;
    }
    setState({ ...state, step: 'importing' });
    try {
      const summary = await importSettings(state.file, true);
      setState({ step: 'done', summary });
      onImported?.(summary);
    } catch (error) {
      setState({ step: 'idle' });
      setImportError(error as ApiError);
    }
  };

  const fieldErrors = importError ? Object.entries(importError.params) : [];

  return (
    <Card className="usersync-card usersync-settings-transfer">
      <CardHeader>
        <h2 className="usersync-card__title">{__('Settings file', 'usersync')}</h2>
      </CardHeader>
      <CardBody>
        <p>
          {__(
            'Export the attribute map, role map, deprovisioning, audit retention, connections, schedules and peers as a JSON file, or import such a file from another site. Client secrets and tokens are never in the file: enter them again after an import.',
            'usersync',
          )}
        </p>
        <div className="usersync-settings-transfer__actions">
          <Button
            variant="secondary"
            onClick={onExport}
            isBusy={isExporting}
            disabled={isExporting}
          >
            {__('Export settings', 'usersync')}
          </Button>
          <FormFileUpload
            accept="application/json,.json"
            onChange={onChooseFile}
            render={({ openFileDialog }) => (
              <Button
                variant="secondary"
                onClick={openFileDialog}
                isBusy={state.step === 'checking'}
                disabled={state.step === 'checking' || state.step === 'importing'}
              >
                {__('Import settings…', 'usersync')}
              </Button>
            )}
          />
        </div>
        {state.step === 'checking' ? (
          <p role="status">
            {sprintf(
              /* translators: %s: file name. */
              __('Checking %s…', 'usersync'),
              state.filename,
            )}
          </p>
        ) : null}
        {exportError ? (
          <ErrorNotice
            title={__('The settings could not be exported.', 'usersync')}
            error={exportError}
          />
        ) : null}
        {importError ? (
          fieldErrors.length > 0 ? (
            <Notice status="error" isDismissible={false}>
              <p>
                <strong>{__('The file was not imported; nothing was changed.', 'usersync')}</strong>
              </p>
              <ul aria-label={__('Problems in the file', 'usersync')}>
                {fieldErrors.map(([field, message]) => (
                  <li key={field}>
                    <code>{field}</code>: {message}
                  </li>
                ))}
              </ul>
            </Notice>
          ) : (
            <ErrorNotice
              title={__('The file was not imported; nothing was changed.', 'usersync')}
              error={importError}
            />
          )
        ) : null}
        {state.step === 'done' ? (
          <Notice status="success" isDismissible={false}>
            <p>{__('The settings were imported.', 'usersync')}</p>
            {state.summary.notes.length > 0 ? (
              <ul>
                {state.summary.notes.map((note) => (
                  <li key={note}>{note}</li>
                ))}
              </ul>
            ) : null}
          </Notice>
        ) : null}
      </CardBody>
      {state.step === 'review' || state.step === 'importing' ? (
        <ConfirmDialog
          title={__('Import these settings?', 'usersync')}
          confirmLabel={
            state.step === 'importing' ? __('Importing…', 'usersync') : __('Import', 'usersync')
          }
          onConfirm={onConfirm}
          onCancel={() => setState({ step: 'idle' })}
        >
          <p>
            {state.summary.source.site
              ? sprintf(
                  /* translators: 1: file name, 2: site URL. */
                  __('%1$s was exported from %2$s.', 'usersync'),
                  state.filename,
                  state.summary.source.site,
                )
              : state.filename}
          </p>
          <ul aria-label={__('What the import changes', 'usersync')}>
            {summaryLines(state.summary).map((line) => (
              <li key={line}>{line}</li>
            ))}
          </ul>
          {state.summary.notes.length > 0 ? (
            <ul aria-label={__('Still to do after the import', 'usersync')}>
              {state.summary.notes.map((note) => (
                <li key={note}>{note}</li>
              ))}
            </ul>
          ) : null}
        </ConfirmDialog>
      ) : null}
    </Card>
  );
}
