// Attribute map templates, `{name.givenName}.{name.familyName}` or `{userName}@example.org`:
// literal text with placeholders, each a source path written as in the source column.
// Braces only delimit placeholders, and a template fills only when every placeholder has a
// value that is not blank (otherwise the row gives nothing and its default applies). The
// plugin's Config::template_problem() refuses malformed templates on save.

/** A parsed template: literal text and the source paths of its placeholders, in order. */
export type TemplatePart = { text: string } | { path: string };

const parsedTemplates = new Map<string, TemplatePart[] | null>();

/**
 * Parses a template. Null when it is malformed (unbalanced or nested braces, an empty
 * placeholder, no placeholder at all); such a row gives nothing.
 */
export function parseTemplate(template: string): TemplatePart[] | null {
  const cached = parsedTemplates.get(template);
  if (cached !== undefined) return cached;
  let parts: TemplatePart[] | null = [];
  let literal = '';
  let open = -1;
  for (let i = 0; i < template.length && parts; i++) {
    const char = template[i]!;
    if (char === '{') {
      if (open !== -1) parts = null;
      else open = i;
    } else if (char === '}') {
      const path = open === -1 ? '' : template.slice(open + 1, i).trim();
      if (path === '') {
        parts = null;
      } else {
        if (literal) parts.push({ text: literal });
        parts.push({ path });
        literal = '';
        open = -1;
      }
    } else if (open === -1) {
      literal += char;
    }
  }
  if (parts && (open !== -1 || !parts.some((part) => 'path' in part))) parts = null;
  if (parts && literal) parts.push({ text: literal });
  if (parsedTemplates.size > 1_000) parsedTemplates.clear();
  parsedTemplates.set(template, parts);
  return parts;
}

/** The source paths a template reads. */
export function templatePaths(template: string): string[] {
  return (parseTemplate(template) ?? []).flatMap((part) => ('path' in part ? [part.path] : []));
}

/**
 * Fills a template with the values `read` gives for its paths. All or nothing: when a
 * placeholder has no value (absent, empty or only spaces), or the template is malformed,
 * the result is null, so a missing family name never makes a login such as `john.`.
 */
export function fillTemplate(
  template: string,
  read: (path: string) => string | null | undefined,
): string | null {
  const parts = parseTemplate(template);
  if (!parts) return null;
  let filled = '';
  for (const part of parts) {
    if ('text' in part) {
      filled += part.text;
      continue;
    }
    const value = read(part.path);
    if (value === null || value === undefined || value.trim() === '') return null;
    filled += value;
  }
  return filled;
}
