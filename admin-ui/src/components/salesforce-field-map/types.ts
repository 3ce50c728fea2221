/**
 * Internal dependencies
 */
import type { SalesforceFieldInfo, SalesforceFieldRow } from '../../api';

/** A field row as the form holds it: the default and the picklist map as typed. */
export interface FieldRowValues {
  wp: string;
  sf: string;
  direction: SalesforceFieldRow['direction'];
  transform: SalesforceFieldRow['transform'];
  /** '' for no default. */
  default: string;
  /** `template` transform. */
  template: string;
  /** `picklist-map` transform, typed as `wordpress=salesforce` pairs, one per line. */
  valueMap: string;
  nulls: SalesforceFieldRow['nulls'];
}

export interface SalesforceFieldMapProps {
  rows: FieldRowValues[];
  onChange: (rows: FieldRowValues[]) => void;
  /** The object's fields once the connection is saved and described; undefined: typed names. */
  describedFields?: SalesforceFieldInfo[];
  /** Problems by field path (`objectMaps[0][fields][2][wp]`, `objectMaps[0][fields]`). */
  errors: Record<string, string>;
  /** Path of the rows, e.g. `objectMaps[0][fields]`. */
  path: string;
  /** Required-on-create Salesforce fields that no outbound row fills and no default covers. */
  missingRequired: SalesforceFieldInfo[];
}
