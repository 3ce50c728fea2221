/**
 * Internal dependencies
 */
import type { AttributeMapping, MappingDirection, MappingTransform } from '../../api';

export interface AttributeMapEditorProps {
  /** The rows being edited. */
  rows: AttributeMapping[];
  /** Replaces the rows. */
  onChange: (rows: AttributeMapping[]) => void;
  /** Errors by field path (`attributeMap[2][target]`), already filtered to what is shown. */
  errors: Record<string, string>;
  /** Called with a field's path when the admin edits it (to clear its server error). */
  onEdit: (path: string) => void;
}

/** Errors of one row by field. */
export type MapRowErrors = Partial<Record<keyof AttributeMapping, string>>;

/** The choices of a row's lists (the same for every row). */
export interface MapRowOptions {
  targets: { value: string; label: string }[];
  transforms: { value: MappingTransform; label: string }[];
  directions: { value: MappingDirection; label: string }[];
}

export interface MapRowProps {
  /** 0-based position. */
  index: number;
  row: AttributeMapping;
  errors: MapRowErrors;
  options: MapRowOptions;
  /** Replaces the row after an edit of `field`. */
  onUpdate: (index: number, field: keyof AttributeMapping, row: AttributeMapping) => void;
  onRemove: (index: number) => void;
}
