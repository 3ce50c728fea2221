/**
 * External dependencies
 */
import type { ReactNode } from 'react';

export interface ConfirmDialogProps {
  /** The question, e.g. "Delete older entries now?". */
  title: string;
  /** What happens if the admin goes on. */
  children: ReactNode;
  /** The button that goes on, e.g. "Save and delete them". */
  confirmLabel: string;
  /** Whether going on destroys something (a red button). */
  isDestructive?: boolean;
  onConfirm: () => void;
  onCancel: () => void;
}
