export interface UserPreviewProps {
  /** The source's connection slug. */
  source: string;
  /** The connection's name, for the accessible names of the controls. */
  sourceName: string;
}
