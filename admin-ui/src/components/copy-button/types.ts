export interface CopyButtonProps {
  /** The text put on the clipboard. */
  text: string;
  /** Accessible name and visible text of the button, e.g. "Copy token". */
  label: string;
}

/** Result of the last copy attempt. */
export type CopyResult = 'idle' | 'copied' | 'failed';
