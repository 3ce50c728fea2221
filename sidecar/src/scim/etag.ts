// Weak entity tags for meta.version, and the If-Match / If-None-Match comparisons
// (RFC 7644 §3.14, RFC 9110 §13.1). All versions are weak, so comparison is weak.
import { createHash } from 'node:crypto';

/** W/"<16 hex>" over a JSON value, as the plugin computes snapshot versions. */
export function weakEtag(value: unknown): string {
  const hash = createHash('sha1').update(JSON.stringify(value)).digest('hex').slice(0, 16);
  return `W/"${hash}"`;
}

const opaque = (tag: string) => tag.trim().replace(/^W\//i, '');

/** Whether an If-Match / If-None-Match header value matches a version. */
export function etagMatches(header: string, version: string | undefined): boolean {
  const tags = header
    .split(',')
    .map((t) => t.trim())
    .filter(Boolean);
  if (tags.includes('*')) return version !== undefined;
  if (!version) return false;
  const want = opaque(version);
  return tags.some((tag) => opaque(tag) === want);
}
