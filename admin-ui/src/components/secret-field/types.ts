export interface SecretFieldProps {
  /** The field's name, as the form's checks and the plugin's errors name it. */
  name: string;
  /** Whether the input is shown; otherwise the stored secret's state and a button to replace it. */
  isEditing: boolean;
  /** Label of the stored secret's state, and of the input unless `inputLabel` is given. */
  label: string;
  /** Label of the input when it differs (e.g. "New client secret"). */
  inputLabel?: string;
  /** What is stored, e.g. "Set. It is stored encrypted and never shown." */
  status: string;
  /** Text of the button that shows the input. */
  editLabel: string;
  onEdit: () => void;
  /** Help text of the input. */
  help: string;
  error?: string;
  value: string;
  onChange: (value: string) => void;
}
