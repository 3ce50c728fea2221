export interface SourcesCardProps {
  /** How often a running run is read again, in milliseconds. */
  pollMs?: number;
}
