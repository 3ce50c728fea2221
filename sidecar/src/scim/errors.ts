// SCIM errors (RFC 7644 §3.12): every failure the protocol core reports carries the HTTP
// status and, for 400s and the like, the `scimType` a client can act on.
export const ERROR_SCHEMA = 'urn:ietf:params:scim:api:messages:2.0:Error';

export type ScimType =
  | 'invalidFilter'
  | 'tooMany'
  | 'uniqueness'
  | 'mutability'
  | 'invalidSyntax'
  | 'invalidPath'
  | 'noTarget'
  | 'invalidValue'
  | 'invalidVers'
  | 'sensitive';

export interface ScimErrorBody {
  schemas: [typeof ERROR_SCHEMA];
  status: string;
  scimType?: ScimType;
  detail: string;
}

export class ScimError extends Error {
  constructor(
    readonly status: number,
    readonly scimType: ScimType | undefined,
    readonly detail: string,
    /** Extra response headers, e.g. Retry-After on 429 or WWW-Authenticate on 401. */
    readonly headers: Record<string, string> = {},
  ) {
    super(detail);
    this.name = 'ScimError';
  }
}

export const badRequest = (scimType: ScimType, detail: string) =>
  new ScimError(400, scimType, detail);

export const notFound = (detail: string) => new ScimError(404, undefined, detail);

/** Longest error detail answered: messages may quote what the client sent. */
export const MAX_DETAIL = 300;

export function toScimErrorBody(error: ScimError): ScimErrorBody {
  const detail =
    error.detail.length > MAX_DETAIL ? `${error.detail.slice(0, MAX_DETAIL - 1)}…` : error.detail;
  const body: ScimErrorBody = {
    schemas: [ERROR_SCHEMA],
    status: String(error.status),
    detail,
  };
  if (error.scimType) body.scimType = error.scimType;
  return body;
}

/** SCIMMY throws its own SCIMError; translate it so one error type leaves the core. */
export function fromScimmyError(error: unknown): ScimError | undefined {
  if (!(error instanceof Error) || error.name !== 'SCIMError') return undefined;
  const { status, scimType, message } = error as Error & { status?: number; scimType?: string };
  return new ScimError(status ?? 400, scimType as ScimType | undefined, message);
}
