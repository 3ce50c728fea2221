/**
 * The app's only door to the plugin's REST API. Components call these functions and never
 * `apiFetch` directly, so every answer is typed and every failure is an ApiError.
 */
export { ApiError, fieldErrors, toApiError } from './errors';
export { auditQuery, exportAudit, getAuditFacets, listAudit } from './audit';
export type { AuditExport } from './audit';
export { getConfig, getRoleImpact, saveConfig } from './config';
export { cancelPendingDeletion, getPendingDeletions } from './deprovision';
export {
  cancelRun,
  createConnection,
  deleteConnection,
  getRun,
  listConnections,
  listRuns,
  startRun,
  checkPhotos,
  testConnection,
  updateConnection,
} from './connections';
export { findUsers, getUser, listRoles, listRuleConnections } from './roles';
export {
  createSalesforceConnection,
  describeSalesforceObject,
  isSalesforceConnection,
  listSalesforceConnections,
  listSalesforceObjects,
  updateSalesforceConnection,
} from './salesforce';
export { exportSettings, importSettings } from './settings-transfer';
export type { SettingsExport, SettingsImportSummary } from './settings-transfer';
export { getStatus } from './status';
export { createToken, listTokens, revokeToken } from './tokens';
export {
  listDeadLetters,
  listSyncFailures,
  previewUser,
  refreshUsers,
  retryDeadLetter,
} from './users';
export type {
  AttributeMapping,
  AuditEntry,
  AuditFacets,
  AuditFilters,
  AuditPage,
  AuditSettings,
  Connection,
  ConnectionCheck,
  DeadLetter,
  DeadLetterRetry,
  ConnectionInput,
  ConnectionTest,
  CreatedToken,
  CreateTokenInput,
  DeprovisionPolicy,
  MappingDirection,
  MappingTransform,
  PendingDeletion,
  PendingDeletions,
  Peer,
  PeerInput,
  RefreshResult,
  RefreshSummary,
  RevokedToken,
  Role,
  RoleImpact,
  RoleMap,
  RuleConnection,
  RoleRule,
  RoleUpdateMode,
  Run,
  RunChange,
  RunCounts,
  RunState,
  SalesforceConnection,
  SalesforceConnectionInput,
  SalesforceDescribe,
  SalesforceDirection,
  SalesforceFieldInfo,
  SalesforceFieldRow,
  SalesforceFlow,
  SalesforceMatchKey,
  SalesforceObjectMap,
  SalesforceObjectSummary,
  SalesforceTransform,
  SidecarHealth,
  SidecarStatus,
  Status,
  SyncConfig,
  Token,
  UserPreview,
  UserSummary,
} from './types';
