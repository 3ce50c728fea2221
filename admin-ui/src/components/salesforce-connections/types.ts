export interface SalesforceConnectionsProps {
  /** Where to see and change schedules (the Schedule tab's address). */
  scheduleHref?: string;
  /** How often a run started here is read again while it goes on (ms). */
  pollMs?: number;
}
