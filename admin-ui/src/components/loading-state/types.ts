export interface LoadingStateProps {
  /** What is being loaded, shown next to the spinner and announced to screen readers. */
  label: string;
}
