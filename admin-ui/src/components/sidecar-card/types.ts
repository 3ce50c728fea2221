/**
 * Internal dependencies
 */
import type { SidecarStatus } from '../../api';

export interface SidecarCardProps {
  /** What the plugin found when it probed the sidecar. */
  sidecar: SidecarStatus;
  /** True while a new probe is running. */
  isChecking: boolean;
  /** Probes the sidecar again. */
  onCheckAgain: () => void;
}
