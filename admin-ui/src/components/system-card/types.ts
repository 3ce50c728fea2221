/**
 * Internal dependencies
 */
import type { Status } from '../../api';

export interface SystemCardProps {
  /** The status answer; its `sidecar` part is shown by SidecarCard. */
  status: Status;
}
