// A source's cursor as the engine keeps it: the connector's own cursor plus the bookkeeping
// of full listings, stamped with the mapping fingerprint (another one: re-plan everyone) and
// the identity of the directory it belongs to (another one: start the source afresh).
import type { Store } from '../store/types.js';
import { hashOf } from './mapping.js';
import type { SourceConnection } from './types.js';

export interface EngineCursor {
  v: 1;
  /** The connector's own cursor (opaque here). */
  connector: string | null;
  /** The full listing under way (spans runs after a crash), if any. */
  scan: string | null;
  /** A full listing that ended but whose vanished users are not deprovisioned yet. */
  reconcile: string | null;
  /** Mapping fingerprint the cursor was made with; another one means re-plan everyone. */
  fingerprint: string;
  /** Which directory the cursor belongs to; another one means start this source afresh. */
  identity?: string;
}

/** Settings that say which directory a source reads (not how): a change means another one. */
const IDENTITY_SETTINGS = [
  'tenantId',
  'b2c',
  'cloud',
  'graphUrl',
  'authorityUrl',
  'url',
  'instanceUrl',
];

/** Which directory a source reads: its type, creation and the settings that name it. */
export function sourceIdentity(source: SourceConnection): string {
  const settings = source.settings;
  return hashOf({
    type: source.type,
    createdAt: source.createdAt ?? null,
    settings: Object.fromEntries(
      IDENTITY_SETTINGS.filter((key) => key in settings).map((key) => [key, settings[key]]),
    ),
  }).slice(0, 16);
}

export class RunCursor {
  constructor(
    private readonly store: Store,
    private readonly source: string,
    /** The mapping fingerprint of the run. */
    readonly fingerprint: string,
    /** The identity of the source's directory. */
    readonly identity: string,
  ) {}

  /** The saved cursor; null when there is none or it is of an unknown version. */
  async load(): Promise<EngineCursor | null> {
    const cursor = await this.store.getCursor(this.source);
    if (!cursor) return null;
    try {
      const parsed = JSON.parse(cursor.value) as EngineCursor;
      return parsed.v === 1 ? parsed : null;
    } catch {
      return null;
    }
  }

  async save(value: Omit<EngineCursor, 'v' | 'fingerprint' | 'identity'>): Promise<void> {
    const cursor: EngineCursor = {
      v: 1,
      ...value,
      fingerprint: this.fingerprint,
      identity: this.identity,
    };
    await this.store.saveCursor(this.source, JSON.stringify(cursor));
  }
}
