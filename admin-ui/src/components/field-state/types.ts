/** Props spread onto a `TextControl` or `SelectControl`. */
export interface FieldState {
  className: string;
  /** The error when there is one, else the help text. */
  help: string | undefined;
  'aria-invalid': true | undefined;
}
