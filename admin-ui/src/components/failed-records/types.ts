/** A connection the admin can narrow the failures to. */
export interface FailedRecordsSource {
  slug: string;
  name: string;
}

export interface FailedRecordsProps {
  /** Directory connections (pull sources), whose failures can be retried from the source. */
  sources: FailedRecordsSource[];
  /** Names of peers by slug, to say where a dead letter was going. */
  peerNames?: Record<string, string>;
}

/** What a retry of one record said, shown in its row. */
export interface RetryState {
  status: 'pending' | 'success' | 'warning' | 'error';
  message: string;
}
