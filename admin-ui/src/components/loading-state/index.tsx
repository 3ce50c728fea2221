/**
 * A spinner with a visible, announced label.
 */

/**
 * WordPress dependencies
 */
import { Spinner } from '@wordpress/components';

/**
 * Internal dependencies
 */
import type { LoadingStateProps } from './types';

export default function LoadingState({ label }: LoadingStateProps) {
  return (
    <div className="usersync-loading" role="status">
      <Spinner />
      <span>{label}</span>
    </div>
  );
}
