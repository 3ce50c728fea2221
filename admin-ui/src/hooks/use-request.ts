/**
 * Loads data once on mount and again on demand, keeping the last good answer on screen
 * while a reload is in flight.
 */

/**
 * WordPress dependencies
 */
import { useCallback, useEffect, useRef, useState } from '@wordpress/element';

/**
 * Internal dependencies
 */
import { toApiError } from '../api';
import type { ApiError } from '../api';

export interface RequestState<T> {
  /** The last successful answer. */
  data: T | undefined;
  /** The error of the last attempt, cleared when an attempt starts. */
  error: ApiError | null;
  /** True while a request is in flight. */
  isLoading: boolean;
  /** Starts the request again. */
  reload: () => void;
  /** Replaces the data locally (after a create or delete that the server confirmed). */
  setData: (update: (current: T | undefined) => T | undefined) => void;
}

export function useRequest<T>(load: () => Promise<T>): RequestState<T> {
  const [data, setDataState] = useState<T | undefined>(undefined);
  const [error, setError] = useState<ApiError | null>(null);
  const [isLoading, setIsLoading] = useState(true);
  // Only the answer of the latest attempt counts; older ones may arrive later.
  const attempt = useRef(0);
  const loadRef = useRef(load);
  loadRef.current = load;

  const reload = useCallback(() => {
    const current = ++attempt.current;
    setIsLoading(true);
    setError(null);
    loadRef.current().then(
      (answer) => {
        if (current === attempt.current) {
          setDataState(answer);
          setIsLoading(false);
        }
      },
      (failure: unknown) => {
        if (current === attempt.current) {
          setError(toApiError(failure));
          setIsLoading(false);
        }
      },
    );
  }, []);

  useEffect(() => {
    reload();
    return () => {
      // Ignore answers that arrive after the component is gone.
      attempt.current++;
    };
  }, [reload]);

  const setData = useCallback((update: (current: T | undefined) => T | undefined) => {
    setDataState(update);
  }, []);

  return { data, error, isLoading, reload, setData };
}
