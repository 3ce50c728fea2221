// The outbound side: WordPress user changes delivered to targets (peer WordPress sites and
// Salesforce connections now; Graph write-back later). The pipeline knows nothing about any target beyond
// `OutboundTarget`.
//
// Glossary
// - change: one row of the plugin's outbox (user, action, changed attributes, origin).
// - origin: `local` for a change made in WordPress, else the connection whose write it was. A
//   change is never delivered to the target whose connection it came from (no echo).
// - user change: the changes of one user within one page of the feed, merged. Targets bring
//   the user's *current* state over, so merging loses nothing and replays are harmless.
// - cursor: per target, the last outbox id it has fully handled (delivered, skipped or
//   dead-lettered); the plugin is acknowledged up to the lowest cursor of all targets.
// - dead letter: a user change that failed for good after its retries; kept in the store,
//   written to the audit log, and retried on request.

// The outbox rows are defined once, with their schema, in wordpress/.
export type { ChangeAction, OutboxChange } from '../wordpress/types.js';

// The push target contract is defined with the pull source contract in connectors/types.ts.
export type {
  DeliveryContext,
  DeliveryOutcome,
  DeliveryResult,
  OutboundTarget,
  PushContext,
  PushProgress,
  PushTargetSpec,
  TargetDeps,
  TargetDescription,
  UserChange,
} from '../connectors/types.js';
export { DeliveryError } from '../connectors/types.js';
