/**
 * Internal dependencies
 */
import type { Connection, ConnectionInput } from '../../api';
import type { GraphAdvancedValues } from '../graph-advanced-settings/types';

/** What the form holds; the advanced settings as typed. */
export interface GraphConnectionValues extends GraphAdvancedValues {
  name: string;
  slug: string;
  tenantId: string;
  clientId: string;
  /** Typed secret; sent only when creating or replacing. */
  clientSecret: string;
  /** On an existing connection: whether the admin chose to replace the stored secret. */
  replaceSecret: boolean;
  cloud: Connection['cloud'];
  b2c: boolean;
  photos: boolean;
  enabled: boolean;
}

export interface GraphConnectionFormProps {
  /** The connection being edited; undefined for a new one. */
  connection?: Connection;
  /** Saves; rejects with an ApiError, shown next to the field it names. */
  onSave: (input: ConnectionInput) => Promise<void>;
  onCancel: () => void;
}
