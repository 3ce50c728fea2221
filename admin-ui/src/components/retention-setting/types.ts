export interface RetentionSettingProps {
  /** Called after the period was saved (the log may have been pruned). */
  onSaved?: () => void;
}
