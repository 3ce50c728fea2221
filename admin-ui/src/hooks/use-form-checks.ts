/**
 * Which problems a settings form shows, and when: a field's problem shows as soon as the
 * admin edits it; every problem of a field still empty shows only after a save was tried,
 * so a new row is not red before anything was typed into it. The plugin's errors (from the
 * last save) show until their field is edited.
 */

/**
 * WordPress dependencies
 */
import { useCallback, useState } from '@wordpress/element';

export interface FormChecks {
  /** Problems to show now, by field path. */
  shown: Record<string, string>;
  /** Whether a save was tried since the last successful one. */
  attempted: boolean;
  /** Marks a field as edited. */
  touch: (path: string) => void;
  /**
   * Call on submit: returns true when the form may be sent; otherwise shows every problem
   * and moves the keyboard focus to the first field at fault inside `form`.
   */
  check: (form: HTMLFormElement | null) => boolean;
  /** Forget edits and attempts (after a successful save). */
  reset: () => void;
}

export function useFormChecks(
  problems: Record<string, string>,
  serverErrors: Record<string, string>,
  isEmpty: (path: string) => boolean,
): FormChecks {
  const [attempted, setAttempted] = useState(false);
  const [touched, setTouched] = useState<Set<string>>(() => new Set());

  const touch = useCallback((path: string) => {
    setTouched((current) => (current.has(path) ? current : new Set(current).add(path)));
  }, []);

  const shown: Record<string, string> = {};
  for (const [path, message] of Object.entries(serverErrors)) {
    shown[path] = message;
  }
  for (const [path, message] of Object.entries(problems)) {
    if (attempted || touched.has(path) || !isEmpty(path)) {
      shown[path] = message;
    }
  }

  const check = (form: HTMLFormElement | null) => {
    setAttempted(true);
    if (Object.keys(problems).length === 0) {
      return true;
    }
    // After React has marked every field, take the keyboard to the first one.
    setTimeout(() => {
      form?.querySelector<HTMLElement>('[aria-invalid="true"], .usersync-form-error')?.focus();
    });
    return false;
  };

  const reset = useCallback(() => {
    setAttempted(false);
    setTouched(new Set());
  }, []);

  return { shown, attempted, touch, check, reset };
}
