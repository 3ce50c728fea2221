/**
 * State of a connection or peer form: its values, the problems shown next to each field,
 * saving, and what a refused save means. A save is sent only when the form's own checks
 * pass; the plugin's field errors are shown next to their field, anything else above the
 * buttons, and the keyboard goes to the first field at fault either way.
 */

/**
 * External dependencies
 */
import type { FormEvent } from 'react';

/**
 * WordPress dependencies
 */
import { useRef, useState } from '@wordpress/element';

/**
 * Internal dependencies
 */
import { toApiError } from '../../api';
import type { ApiError } from '../../api';
import type { ConnectionFormOptions, ConnectionFormState, KeysOfType } from './types';

export function useConnectionForm<Values extends object, Input>({
  initial,
  fields,
  validate,
  toInput,
  onSave,
  serverErrors,
  onInvalid,
}: ConnectionFormOptions<Values, Input>): ConnectionFormState<Values> {
  const [values, setValues] = useState<Values>(initial);
  const [errors, setErrors] = useState<Record<string, string>>({});
  const [formError, setFormError] = useState<ApiError | null>(null);
  const [isSaving, setIsSaving] = useState(false);
  const formRef = useRef<HTMLFormElement>(null);

  const set = <K extends keyof Values>(key: K, value: Values[K]) => {
    setValues((current) => ({ ...current, [key]: value }));
    // The field's problem is the admin's to fix again once edited.
    setErrors((current) => (current[key as string] ? { ...current, [key]: '' } : current));
  };

  const bind = <K extends KeysOfType<Values, string>>(key: K) => ({
    name: key,
    error: errors[key],
    value: values[key] as string,
    onChange: (value: string) => set(key, value as Values[K]),
  });

  const showErrors = (next: Record<string, string>) => {
    setErrors(next);
    onInvalid?.(next);
    const first = fields.find((field) => next[field]);
    // After React has marked the fields (and opened what hides them), focus the first.
    setTimeout(() => {
      formRef.current
        ?.querySelector<HTMLElement>(
          `[data-field="${first}"] input, [data-field="${first}"] select`,
        )
        ?.focus();
    });
  };

  const onSubmit = async (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    if (isSaving) {
      return;
    }
    setFormError(null);
    const problems = validate(values);
    if (Object.keys(problems).length > 0) {
      showErrors(problems);
      return;
    }
    setIsSaving(true);
    try {
      await onSave(toInput(values));
    } catch (failure) {
      const error = toApiError(failure);
      const known = Object.fromEntries(
        Object.entries(serverErrors(error)).filter(([field]) => fields.includes(field)),
      );
      if (Object.keys(known).length > 0) {
        showErrors(known);
      } else {
        setFormError(error);
      }
      setIsSaving(false);
    }
  };

  return { values, set, bind, errors, formError, isSaving, formRef, onSubmit };
}
