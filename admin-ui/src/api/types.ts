/**
 * Shapes of the plugin's REST answers (namespace `usersync/v1`), as agreed in the
 * contracts between the plugin, the sidecar and this app.
 *
 * Glossary:
 * - connection: the slug (`[a-z0-9-]{1,64}`) that names one identity provider link; users
 *   created through a connection's tokens are linked to it.
 * - SCIM token: a bearer secret an identity provider sends to the sidecar's SCIM service.
 *   WordPress keeps only its hash; it is shown once, when it is created.
 * - sidecar: the Node service that speaks SCIM and runs the sync work.
 */

/** Result of the sidecar's own `/healthz`, as relayed by the plugin. */
export interface SidecarHealth {
  /** `ok` when every check passed, `degraded` otherwise. */
  status?: 'ok' | 'degraded' | string;
  /** Version of the sidecar. */
  version?: string;
  /** The sidecar's store (SQLite or PostgreSQL). */
  store?: { ok: boolean; kind?: string; error?: string };
  /** Whether the sidecar can reach WordPress with its service credentials. */
  wordpress?: { ok: boolean; error?: string; [key: string]: unknown };
  [key: string]: unknown;
}

/** What the plugin knows about the sidecar. */
export interface SidecarStatus {
  /** Whether `USERSYNC_SIDECAR_URL` is set. */
  configured: boolean;
  /** The configured sidecar URL. */
  url: string | null;
  /** Whether `GET {url}/healthz` answered. */
  reachable: boolean;
  /** The `/healthz` answer, when there was one. */
  health: SidecarHealth | null;
  /** Why the probe failed, when it did. */
  error: string | null;
}

/** `GET /usersync/v1/status`. */
export interface Status {
  plugin: { version: string; dbVersion: string | null };
  wordpress: { version: string; php: string; multisite: boolean };
  /** Whether each of the plugin's tables exists, by short name (`outbox`, `audit`, …). */
  tables: Record<string, boolean>;
  sidecar: SidecarStatus;
}

/** A SCIM token as listed: never the secret itself. */
export interface Token {
  /** `tok_…` */
  id: string;
  name: string;
  /** Connection slug the token belongs to. */
  connection: string;
  /** First characters of the token, to recognise it (`us_ab12`). */
  prefix: string;
  /** ISO-8601. */
  createdAt: string;
  /** ISO-8601, or null when the token was never used. */
  lastUsedAt: string | null;
}

/** `POST /usersync/v1/tokens` body. */
export interface CreateTokenInput {
  name: string;
  /** Connection slug; the plugin derives one from the name when it is left out. */
  connection?: string;
}

/** `POST /usersync/v1/tokens` answer: the only time the secret is returned. */
export interface CreatedToken extends Token {
  /** The bearer token, `us_…`. */
  token: string;
  /** The SCIM base URL to configure in the identity provider, or null when unknown. */
  scimUrl: string | null;
}

/** `DELETE /usersync/v1/tokens/<id>` answer. */
export interface RevokedToken {
  deleted: boolean;
  id: string;
}
