/**
 * Internal dependencies
 */
import type { ApiError } from '../../api';

export interface ErrorNoticeProps {
  /** The failure to explain. */
  error: ApiError;
  /** Short sentence saying what failed, shown before the server's message. */
  title?: string;
  /** When given, a "Try again" button calls it. */
  onRetry?: () => void;
}
