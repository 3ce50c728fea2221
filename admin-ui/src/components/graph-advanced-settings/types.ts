/** The advanced settings of a Microsoft Graph connection, as typed. */
export interface GraphAdvancedValues {
  /** Sign-in endpoint override; empty for the cloud's own. */
  authorityUrl: string;
  /** Microsoft Graph endpoint override; empty for the cloud's own. */
  graphUrl: string;
  /** Users asked for per Graph page, 1–999 (a hint to delta queries, exact for B2C lists). */
  pageSize: string;
  /** Graph requests in flight, 1–32. */
  concurrency: string;
}

export interface GraphAdvancedSettingsProps {
  values: GraphAdvancedValues;
  /** Problems to show, by field name. */
  errors: Partial<Record<keyof GraphAdvancedValues, string>>;
  onChange: (key: keyof GraphAdvancedValues, value: string) => void;
  /** Whether the section is open (the form opens it when one of its fields is at fault). */
  isOpen: boolean;
  onToggle: (isOpen: boolean) => void;
}
