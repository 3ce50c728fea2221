/**
 * Which parts of the settings page hold edits not saved yet: each editor says so with
 * `useUnsavedChanges(isDirty)`, and the page asks before those edits would be lost (switching
 * tabs, leaving or reloading the page).
 */

/**
 * WordPress dependencies
 */
import { useEffect, useRef, useState } from '@wordpress/element';

const dirty = new Set<object>();
const listeners = new Set<() => void>();

function changed(): void {
  listeners.forEach((listener) => listener());
}

/** Whether any editor on the page holds unsaved edits right now. */
export function hasUnsavedChanges(): boolean {
  return dirty.size > 0;
}

/** Declares the calling editor's unsaved edits while `isDirty`; forgotten when it unmounts. */
export function useUnsavedChanges(isDirty: boolean): void {
  const id = useRef({});
  useEffect(() => {
    const key = id.current;
    if (isDirty) {
      dirty.add(key);
    } else {
      dirty.delete(key);
    }
    changed();
    return () => {
      if (dirty.delete(key)) {
        changed();
      }
    };
  }, [isDirty]);
}

/**
 * Whether any editor holds unsaved edits, kept up to date; while it does, the browser asks
 * before the page is left or reloaded, as WordPress's own editors do.
 */
export function useHasUnsavedChanges(): boolean {
  const [isDirty, setIsDirty] = useState(hasUnsavedChanges);
  useEffect(() => {
    const listener = () => setIsDirty(hasUnsavedChanges());
    listeners.add(listener);
    listener();
    return () => {
      listeners.delete(listener);
    };
  }, []);
  useEffect(() => {
    if (!isDirty) {
      return undefined;
    }
    const onBeforeUnload = (event: BeforeUnloadEvent) => {
      event.preventDefault();
      // Older browsers ask only when returnValue is set.
      event.returnValue = '';
    };
    window.addEventListener('beforeunload', onBeforeUnload);
    return () => window.removeEventListener('beforeunload', onBeforeUnload);
  }, [isDirty]);
  return isDirty;
}
