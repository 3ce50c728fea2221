export interface SalesforceConnectionsProps {
  /** Where to see and change schedules (the Schedule tab's address). */
  scheduleHref?: string;
}
