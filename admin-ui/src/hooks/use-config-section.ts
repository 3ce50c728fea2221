/**
 * One part of the sync configuration being edited: loads the configuration, keeps the
 * admin's draft of one top-level key, saves only that key and keeps the plugin's field errors.
 */

/**
 * WordPress dependencies
 */
import { useCallback, useEffect, useState } from '@wordpress/element';

/**
 * Internal dependencies
 */
import { fieldErrors, getConfig, saveConfig, toApiError } from '../api';
import type { ApiError, SyncConfig } from '../api';
import { useRequest } from './use-request';
import { useUnsavedChanges } from './use-unsaved-changes';

export interface ConfigSection<K extends keyof SyncConfig> {
  /** The configuration as last loaded or saved. */
  config: SyncConfig | undefined;
  /** Why loading failed. */
  loadError: ApiError | null;
  isLoading: boolean;
  reload: () => void;
  /** The admin's edits of this section; undefined until loaded. */
  draft: SyncConfig[K] | undefined;
  setDraft: (update: (current: SyncConfig[K]) => SyncConfig[K]) => void;
  /** Whether the draft differs from what is stored. */
  isDirty: boolean;
  /** Saves the draft; resolves to whether the plugin accepted it. */
  save: (value?: SyncConfig[K]) => Promise<boolean>;
  isSaving: boolean;
  /** The plugin's errors by field path (`attributeMap[2][target]`), until that field changes. */
  serverErrors: Record<string, string>;
  clearServerError: (path: string) => void;
  /** A refusal that names no field, or a failure to reach WordPress. */
  saveError: ApiError | null;
  /** True after a successful save, until the next edit. */
  saved: boolean;
}

const same = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);

export function useConfigSection<K extends keyof SyncConfig>(key: K): ConfigSection<K> {
  const { data: config, error: loadError, isLoading, reload, setData } = useRequest(getConfig);
  const [draft, setDraftState] = useState<SyncConfig[K] | undefined>(undefined);
  const [isSaving, setIsSaving] = useState(false);
  const [serverErrors, setServerErrors] = useState<Record<string, string>>({});
  const [saveError, setSaveError] = useState<ApiError | null>(null);
  const [saved, setSaved] = useState(false);

  // The first answer (and a reload after a failure) fills the draft.
  useEffect(() => {
    if (config && draft === undefined) {
      setDraftState(config[key]);
    }
  }, [config, draft, key]);

  const setDraft = useCallback((update: (current: SyncConfig[K]) => SyncConfig[K]) => {
    setSaved(false);
    setDraftState((current) => (current === undefined ? current : update(current)));
  }, []);

  const clearServerError = useCallback((path: string) => {
    setServerErrors((current) => {
      if (!(path in current)) {
        return current;
      }
      const next = { ...current };
      delete next[path];
      return next;
    });
  }, []);

  const save = useCallback(
    async (value?: SyncConfig[K]): Promise<boolean> => {
      const body = value ?? draft;
      if (body === undefined || isSaving) {
        return false;
      }
      setIsSaving(true);
      setSaveError(null);
      setServerErrors({});
      setSaved(false);
      try {
        const stored = await saveConfig({ [key]: body } as Partial<SyncConfig>);
        setData(() => stored);
        setDraftState(stored[key]);
        setSaved(true);
        return true;
      } catch (failure) {
        const error = toApiError(failure);
        const errors = fieldErrors(error);
        const mine = Object.fromEntries(
          Object.entries(errors).filter(([path]) => path === key || path.startsWith(`${key}[`)),
        );
        setServerErrors(mine);
        if (Object.keys(mine).length === 0) {
          setSaveError(error);
        }
        return false;
      } finally {
        setIsSaving(false);
      }
    },
    [draft, isSaving, key, setData],
  );

  const isDirty = config !== undefined && draft !== undefined && !same(config[key], draft);
  useUnsavedChanges(isDirty);

  return {
    config,
    loadError,
    isLoading,
    reload,
    draft,
    setDraft,
    isDirty,
    save,
    isSaving,
    serverErrors,
    clearServerError,
    saveError,
    saved,
  };
}
