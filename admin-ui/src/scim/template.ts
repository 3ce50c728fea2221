/**
 * Attribute map templates, `{name.givenName}.{name.familyName}` or `{userName}@example.org`:
 * literal text with placeholders, each a source path written as in the source column. The
 * same rules as the plugin's `Config::template_problem()`; filling is the sidecar's own code:
 * braces only delimit placeholders, and a template fills only when every placeholder has a
 * value that is not blank (otherwise the row gives nothing and its default applies).
 */

/**
 * WordPress dependencies
 */
import { __, sprintf } from '@wordpress/i18n';

/**
 * External dependencies
 */
import { fillTemplate as fillWith } from '@usersync/provisioning';

/**
 * Internal dependencies
 */
import { sourceProblem } from './attribute-path';

/** Literal text, or the source path of a placeholder. */
export type TemplatePart = { text: string } | { path: string };

/** A template split into parts, or why it cannot be. */
export type ParsedTemplate = { parts: TemplatePart[] } | { problem: string };

/** Splits a template into parts; the problem names the first brace at fault. */
export function parseTemplate(template: string): ParsedTemplate {
  if (template.trim() === '') {
    return {
      problem: __('Enter the template, e.g. {name.givenName}.{name.familyName}.', 'usersync'),
    };
  }
  // Code points, so positions count characters as the plugin does.
  const chars = Array.from(template);
  const parts: TemplatePart[] = [];
  let literal = '';
  let open = -1;
  for (let i = 0; i < chars.length; i++) {
    const char = chars[i];
    if (char === '{') {
      if (open !== -1) {
        return {
          problem: sprintf(
            /* translators: %d: character position in the template (1 for the first). */
            __(
              'The { at character %d is not closed by a } before the next {. Braces only surround attribute names.',
              'usersync',
            ),
            open + 1,
          ),
        };
      }
      open = i;
    } else if (char === '}') {
      if (open === -1) {
        return {
          problem: sprintf(
            /* translators: %d: character position in the template (1 for the first). */
            __(
              'The } at character %d has no { before it. Braces only surround attribute names.',
              'usersync',
            ),
            i + 1,
          ),
        };
      }
      if (literal !== '') {
        parts.push({ text: literal });
        literal = '';
      }
      parts.push({
        path: chars
          .slice(open + 1, i)
          .join('')
          .trim(),
      });
      open = -1;
    } else if (open === -1) {
      literal += char;
    }
  }
  if (open !== -1) {
    return {
      problem: sprintf(
        /* translators: %d: character position in the template (1 for the first). */
        __('The { at character %d is not closed by a }.', 'usersync'),
        open + 1,
      ),
    };
  }
  if (literal !== '') {
    parts.push({ text: literal });
  }
  if (!parts.some((part) => 'path' in part)) {
    return {
      problem: __(
        'The template names no attribute. Put source attributes in braces, e.g. {userName}@example.org; for a fixed value use the default value instead.',
        'usersync',
      ),
    };
  }
  return { parts };
}

/** Why a template cannot be used, or null when it can. */
export function templateProblem(template: string): string | null {
  const parsed = parseTemplate(template);
  if ('problem' in parsed) {
    return parsed.problem;
  }
  for (const part of parsed.parts) {
    if (!('path' in part)) {
      continue;
    }
    if (part.path === '') {
      return __(
        'The template has an empty placeholder {}. Put a source attribute between the braces.',
        'usersync',
      );
    }
    const problem = sourceProblem(part.path);
    if (problem) {
      return sprintf(
        /* translators: 1: placeholder as written, 2: what is wrong with its attribute. */
        __('In the placeholder {%1$s}: %2$s', 'usersync'),
        part.path,
        problem,
      );
    }
  }
  return null;
}

/**
 * The filled template, or undefined when it is not usable or a placeholder has no value
 * (absent, empty or only spaces): the sidecar's own filling.
 */
export function fillTemplate(
  template: string,
  read: (path: string) => string | undefined,
): string | undefined {
  if (templateProblem(template) !== null) {
    return undefined;
  }
  return fillWith(template, read) ?? undefined;
}

/** The one path of a template that is a single placeholder (`{userName}`), else null. */
export function singlePath(template: string): string | null {
  const parsed = parseTemplate(template);
  if ('problem' in parsed || parsed.parts.length !== 1 || !('path' in parsed.parts[0])) {
    return null;
  }
  return parsed.parts[0].path || null;
}
