/**
 * Internal dependencies
 */
import type { SettingsImportSummary } from '../../api';

export interface SettingsTransferProps {
  /** Called after an import was written (the other tabs' settings changed). */
  onImported?: (summary: SettingsImportSummary) => void;
}

/** Where an import stands. */
export type ImportState =
  | { step: 'idle' }
  | { step: 'checking'; filename: string }
  /** Checked: the summary waits for the admin's confirmation. */
  | { step: 'review'; filename: string; file: unknown; summary: SettingsImportSummary }
  | { step: 'importing'; filename: string; file: unknown; summary: SettingsImportSummary }
  | { step: 'done'; summary: SettingsImportSummary };
