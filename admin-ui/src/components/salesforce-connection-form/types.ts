/**
 * Internal dependencies
 */
import type {
  SalesforceConnection,
  SalesforceConnectionInput,
  SalesforceFlow,
  SalesforceObjectMap,
} from '../../api';
import type { FieldRowValues } from '../salesforce-field-map/types';

/** The secrets a Salesforce connection takes. */
export type SalesforceSecret = 'clientSecret' | 'privateKey' | 'refreshToken';

/** What the form holds: the connection, and its first object map (WordPress users). */
export interface SalesforceFormValues {
  name: string;
  slug: string;
  loginUrl: string;
  flow: SalesforceFlow;
  clientId: string;
  username: string;
  /** Typed secrets; each sent only when creating or replacing it. */
  clientSecret: string;
  privateKey: string;
  refreshToken: string;
  /** On an existing connection: the secrets the admin chose to replace. */
  replaceClientSecret: boolean;
  replacePrivateKey: boolean;
  replaceRefreshToken: boolean;
  apiVersion: string;
  push: boolean;
  enabled: boolean;
  mapId: string;
  sfObject: string;
  /** Record type of created records and of the records pulled; '' for the org's default. */
  recordTypeId: string;
  filter: string;
  createPush: boolean;
  createPull: boolean;
  updatePush: boolean;
  updatePull: boolean;
  deletePush: boolean;
  deletePull: boolean;
  /** Upsert key ('' for none), e.g. UserSync_Id__c. */
  externalIdField: string;
  /** Find records by a field (e.g. Email = the user's email) before creating one. */
  lookup: boolean;
  lookupSf: string;
  lookupWp: string;
  deletePolicyPull: SalesforceObjectMap['deletePolicy']['pull'];
  deletePolicyPush: SalesforceObjectMap['deletePolicy']['push'];
  conflict: SalesforceObjectMap['conflict'];
  fields: FieldRowValues[];
}

export interface SalesforceConnectionFormProps {
  /** The connection being edited; undefined for a new one. */
  connection?: SalesforceConnection;
  /** Saves; rejects with an ApiError, shown next to the field it names. */
  onSave: (input: SalesforceConnectionInput) => Promise<void>;
  onCancel: () => void;
}
