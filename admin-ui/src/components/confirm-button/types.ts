export interface ConfirmButtonProps {
  /** Text of the button. */
  label: string;
  /** Accessible name, when the text alone is ambiguous (e.g. "Delete connection “Contoso”"). */
  ariaLabel?: string;
  /** Title of the dialog. */
  title: string;
  /** What will happen, shown in the dialog. */
  message: string;
  /** Text of the confirming button. */
  confirmLabel: string;
  /** Does it; rejects with an ApiError, shown in the dialog. */
  onConfirm: () => Promise<void>;
}
