// Where SCIM resources are stored, behind one interface: the WordPress implementation
// writes through the plugin's batch routes; the in-memory one serves unit tests. Writes
// take a list of operations so /Bulk and membership changes reach the store as real
// batches; every operation gets its own result and one failure never stops the others.
import type { ScimError } from './errors.js';
import type { ListQuery } from './list.js';
import type { MemberDelta } from './patch.js';
import type { ScimResource } from './schemas/model.js';

/** Who is asking: the token's connection scopes every read and write. */
export interface ScimContext {
  /** Connection slug: the namespace of identity links. */
  connection: string;
  /** Recorded in the audit log, e.g. "scim:Entra production". */
  source: string;
  /** SCIM base URL, for meta.location. */
  baseUrl: string;
}

export type WriteOp =
  | { action: 'create'; resource: ScimResource; password?: string }
  /** Full new state (PUT, or a User PATCH applied). `active` absent leaves it unchanged. */
  | { action: 'replace'; id: string; resource: ScimResource; password?: string; ifMatch?: string }
  /** Group PATCH: the new attributes, and membership as a delta (large groups stay cheap). */
  | {
      action: 'patch';
      id: string;
      resource: ScimResource;
      members?: MemberDelta;
      ifMatch?: string;
    }
  | { action: 'delete'; id: string; ifMatch?: string };

export type WriteStatus = 'created' | 'updated' | 'unchanged' | 'deleted';

export type WriteResult =
  | { ok: true; status: WriteStatus; resource: ScimResource | null }
  | { ok: false; error: ScimError };

export interface ListResult {
  total: number;
  resources: ScimResource[];
}

export interface ResourceRepository {
  /** The resource with id/meta, or null when the connection has no such resource. */
  get(ctx: ScimContext, id: string): Promise<ScimResource | null>;
  list(ctx: ScimContext, query: ListQuery): Promise<ListResult>;
  write(ctx: ScimContext, ops: WriteOp[]): Promise<WriteResult[]>;
  /** Largest batch one write() call should carry. */
  readonly maxBatch: number;
}

export interface Repositories {
  users: ResourceRepository;
  groups: ResourceRepository;
}
