/**
 * External dependencies
 */
import type { FormEvent, ReactNode, RefObject } from 'react';

/**
 * Internal dependencies
 */
import type { ApiError } from '../../api';

export interface ConnectionFormOptions<Values, Input> {
  /** Values the form starts with. */
  initial: Values;
  /** Names of the fields that show their own errors, in the order they appear. */
  fields: readonly string[];
  /** The form's own checks: a message per field at fault, empty when all pass. */
  validate: (values: Values) => Record<string, string>;
  /** What is sent for valid values. */
  toInput: (values: Values) => Input;
  /** Saves; rejects with an ApiError when the plugin refuses. */
  onSave: (input: Input) => Promise<void>;
  /** The plugin's refusal as a message per field name (names outside `fields` are ignored). */
  serverErrors: (error: ApiError) => Record<string, string>;
  /** Told of the problems about to be shown (e.g. to open a section that hides a field). */
  onInvalid?: (errors: Record<string, string>) => void;
}

/** Names of the values of a kind (text fields, toggles). */
export type KeysOfType<Values, Type> = {
  [K in keyof Values]: Values[K] extends Type ? K : never;
}[keyof Values] &
  string;

/** Props that tie a `ConnectionField` to a text value of the form. */
export interface BoundField<Name extends string> {
  name: Name;
  error: string | undefined;
  value: string;
  onChange: (value: string) => void;
}

export interface ConnectionFormState<Values> {
  values: Values;
  /** Changes one value and clears its field's error. */
  set: <K extends keyof Values>(key: K, value: Values[K]) => void;
  /** Name, value, error and change handler of a text field, to spread on a `ConnectionField`. */
  bind: <K extends KeysOfType<Values, string>>(key: K) => BoundField<K>;
  /** Problems shown next to the fields, by field name (empty string: none). */
  errors: Record<string, string>;
  /** A refusal that names no field of the form. */
  formError: ApiError | null;
  isSaving: boolean;
  formRef: RefObject<HTMLFormElement>;
  onSubmit: (event: FormEvent<HTMLFormElement>) => Promise<void>;
}

/** An on/off setting of the form, shown as a toggle under the fields. */
export interface FormToggle<Values> {
  name: KeysOfType<Values, boolean>;
  label: string;
  help?: string;
}

export interface ConnectionFormProps<Values> {
  /** The form's state, from `useConnectionForm`. */
  state: ConnectionFormState<Values>;
  /** Class of the `<form>`. */
  className: string;
  /** Fields laid out in the grid at the top. */
  fields: ReactNode;
  /** Toggles under the fields. */
  toggles: FormToggle<Values>[];
  /** What follows the toggles (e.g. a section of advanced settings). */
  children?: ReactNode;
  /** Title of the notice of a refusal that names no field. */
  errorTitle: string;
  /** Text of the submit button. */
  submitLabel: string;
  onCancel: () => void;
}
