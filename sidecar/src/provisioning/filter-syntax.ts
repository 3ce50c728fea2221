// SCIM attribute paths and filters as text (RFC 7644 §3.4.2.2 and §3.5.2): the grammar
// only, without schema knowledge, so every path that reads a source person (SCIM, pulls,
// peer pushes, the admin's Preview) parses `emails[type ne "home"].value` the same way.
// The SCIM service resolves the parsed names against its schemas (scim/filter.ts).
//
// SCIMMY's Filter was evaluated first and is not used: it rewrites `not (a or b)` as
// `not a or not b`, distributes `x and (a or b) and y` into wrong branches, accepts
// `userName eq` and a trailing `or`, rejects escaped quotes and nested parentheses.

/** A filter or path that does not parse; `scimType` is the SCIM error it answers as. */
export class FilterSyntaxError extends Error {
  override name = 'FilterSyntaxError';
  constructor(
    readonly scimType: 'invalidFilter' | 'invalidPath',
    message: string,
  ) {
    super(message);
  }
}

export type CompareOp = 'eq' | 'ne' | 'co' | 'sw' | 'ew' | 'gt' | 'ge' | 'lt' | 'le';
export type CompValue = string | number | boolean | null;

/** A parsed filter. `path` is as written until compiled, then canonical (e.g. `name.givenName`). */
export type FilterNode =
  | { op: 'and' | 'or'; filters: FilterNode[] }
  | { op: 'not'; filter: FilterNode }
  | { op: 'pr'; path: string }
  | { op: CompareOp; path: string; value: CompValue }
  | { op: 'valuePath'; path: string; filter: FilterNode };

const COMPARE_OPS = new Set(['eq', 'ne', 'co', 'sw', 'ew', 'gt', 'ge', 'lt', 'le']);
const MAX_FILTER_LENGTH = 10_000;
const MAX_DEPTH = 32;

type Token =
  | { kind: 'word'; text: string; at: number }
  | { kind: 'value'; value: CompValue; at: number }
  | { kind: '(' | ')' | '[' | ']'; at: number }
  | { kind: 'sub'; text: string; at: number };

const invalid = (detail: string) => new FilterSyntaxError('invalidFilter', detail);

function tokenise(text: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  while (i < text.length) {
    const ch = text[i]!;
    if (/\s/.test(ch)) {
      i++;
    } else if (ch === '(' || ch === ')' || ch === '[' || ch === ']') {
      tokens.push({ kind: ch, at: i });
      i++;
      // A sub-attribute may follow a value filter: emails[type eq "work"].value
      if (ch === ']' && text[i] === '.') {
        const match = /^\.([A-Za-z$][\w$-]*)/.exec(text.slice(i));
        if (!match) throw invalid(`Expected a sub-attribute name after '].' at position ${i + 1}`);
        tokens.push({ kind: 'sub', text: match[1]!, at: i });
        i += match[0].length;
      }
    } else if (ch === '"') {
      let j = i + 1;
      while (j < text.length && text[j] !== '"') j += text[j] === '\\' ? 2 : 1;
      if (j >= text.length) throw invalid(`Unterminated string starting at position ${i + 1}`);
      let value: string;
      try {
        value = JSON.parse(text.slice(i, j + 1)) as string;
      } catch {
        throw invalid(`Invalid escape in string starting at position ${i + 1}`);
      }
      tokens.push({ kind: 'value', value, at: i });
      i = j + 1;
    } else if (/[-\d]/.test(ch)) {
      const match = /^-?\d+(\.\d+)?([eE][-+]?\d+)?(?![\w.])/.exec(text.slice(i));
      if (!match) throw invalid(`Invalid number at position ${i + 1}`);
      tokens.push({ kind: 'value', value: Number(match[0]), at: i });
      i += match[0].length;
    } else {
      const match = /^[A-Za-z$][\w:.$-]*/.exec(text.slice(i));
      if (!match) throw invalid(`Unexpected character '${ch}' at position ${i + 1}`);
      const word = match[0];
      const lower = word.toLowerCase();
      if (lower === 'true' || lower === 'false') {
        tokens.push({ kind: 'value', value: lower === 'true', at: i });
      } else if (lower === 'null') {
        tokens.push({ kind: 'value', value: null, at: i });
      } else {
        tokens.push({ kind: 'word', text: word, at: i });
      }
      i += word.length;
    }
  }
  return tokens;
}

class Parser {
  private pos = 0;
  constructor(
    private readonly tokens: Token[],
    private readonly source: string,
  ) {}

  parse(): FilterNode {
    if (this.tokens.length === 0) throw invalid('The filter is empty');
    const node = this.parseOr(0, false);
    const rest = this.tokens[this.pos];
    if (rest) throw invalid(`Unexpected ${describe(rest)} at position ${rest.at + 1}`);
    return node;
  }

  private peek(): Token | undefined {
    return this.tokens[this.pos];
  }

  private keyword(token: Token | undefined, ...words: string[]): boolean {
    return token?.kind === 'word' && words.includes(token.text.toLowerCase());
  }

  private parseOr(depth: number, inValuePath: boolean): FilterNode {
    const filters = [this.parseAnd(depth, inValuePath)];
    while (this.keyword(this.peek(), 'or')) {
      this.pos++;
      filters.push(this.parseAnd(depth, inValuePath));
    }
    return filters.length === 1 ? filters[0]! : { op: 'or', filters };
  }

  private parseAnd(depth: number, inValuePath: boolean): FilterNode {
    const filters = [this.parseUnary(depth, inValuePath)];
    while (this.keyword(this.peek(), 'and')) {
      this.pos++;
      filters.push(this.parseUnary(depth, inValuePath));
    }
    return filters.length === 1 ? filters[0]! : { op: 'and', filters };
  }

  private parseUnary(depth: number, inValuePath: boolean): FilterNode {
    if (depth > MAX_DEPTH) throw invalid('The filter is nested too deeply');
    const token = this.peek();
    if (!token) throw invalid(`The filter '${this.source}' ends where an expression was expected`);
    if (this.keyword(token, 'not')) {
      this.pos++;
      return { op: 'not', filter: this.parseUnary(depth + 1, inValuePath) };
    }
    if (token.kind === '(') {
      this.pos++;
      const inner = this.parseOr(depth + 1, inValuePath);
      this.expect(')');
      return inner;
    }
    if (token.kind !== 'word' || this.keyword(token, 'and', 'or'))
      throw invalid(
        `Expected an attribute name at position ${token.at + 1}, found ${describe(token)}`,
      );
    this.pos++;
    const path = token.text;
    const next = this.peek();
    if (next?.kind === '[') {
      if (inValuePath) throw invalid('Value filters cannot be nested');
      this.pos++;
      let inner = this.parseOr(depth + 1, true);
      this.expect(']');
      const sub = this.peek();
      if (sub?.kind === 'sub') {
        // emails[type eq "work"].value co "x" ≡ emails[type eq "work" and value co "x"]
        this.pos++;
        const condition = this.parseCondition(sub.text);
        inner = { op: 'and', filters: [inner, condition] };
      }
      return { op: 'valuePath', path, filter: inner };
    }
    return this.parseCondition(path);
  }

  private parseCondition(path: string): FilterNode {
    const operator = this.peek();
    if (!operator || operator.kind !== 'word')
      throw invalid(
        `Expected an operator after '${path}'${operator ? ` at position ${operator.at + 1}` : ''}`,
      );
    const op = operator.text.toLowerCase();
    this.pos++;
    if (op === 'pr') return { op: 'pr', path };
    if (!COMPARE_OPS.has(op))
      throw invalid(`Unknown operator '${operator.text}' at position ${operator.at + 1}`);
    const value = this.peek();
    if (!value || value.kind !== 'value')
      throw invalid(
        `Expected a value (string, number, true, false or null) after '${path} ${operator.text}'`,
      );
    this.pos++;
    return { op: op as CompareOp, path, value: value.value };
  }

  private expect(kind: ')' | ']') {
    const token = this.peek();
    if (token?.kind !== kind)
      throw invalid(
        `Expected '${kind}'${token ? ` at position ${token.at + 1}, found ${describe(token)}` : ' before the end of the filter'}`,
      );
    this.pos++;
  }
}

function describe(token: Token): string {
  switch (token.kind) {
    case 'word':
      return `'${token.text}'`;
    case 'value':
      return `value ${JSON.stringify(token.value)}`;
    case 'sub':
      return `'.${token.text}'`;
    default:
      return `'${token.kind}'`;
  }
}

/** Parses a filter expression without schema knowledge. */
export function parseFilter(text: string): FilterNode {
  if (typeof text !== 'string') throw invalid('The filter must be a string');
  if (text.length > MAX_FILTER_LENGTH)
    throw invalid(`The filter is longer than ${MAX_FILTER_LENGTH} characters`);
  return new Parser(tokenise(text), text).parse();
}

// ---------------------------------------------------------------------------------------
// PATCH paths: attrPath, or valuePath with an optional sub-attribute (RFC 7644 §3.5.2).

export interface PatchPath {
  /** Attribute path before any value filter, as written (may carry a URN prefix). */
  attribute: string;
  filter?: FilterNode;
  /** Sub-attribute after the value filter: emails[type eq "work"].value → "value". */
  subAttribute?: string;
}

export function parsePatchPath(text: string): PatchPath {
  const fail = (why: string) =>
    new FilterSyntaxError('invalidPath', `Invalid path '${text}': ${why}`);
  const open = text.indexOf('[');
  if (open === -1) {
    if (!/^[A-Za-z$][\w:.$-]*$/.test(text.trim())) throw fail('not an attribute path');
    return { attribute: text.trim() };
  }
  const close = text.lastIndexOf(']');
  if (close < open) throw fail("missing ']'");
  const attribute = text.slice(0, open).trim();
  if (!/^[A-Za-z$][\w:.$-]*$/.test(attribute)) throw fail('not an attribute path');
  let filter: FilterNode;
  try {
    filter = parseFilter(text.slice(open + 1, close));
  } catch (error) {
    throw fail(error instanceof Error ? error.message : 'invalid value filter');
  }
  const rest = text.slice(close + 1);
  if (rest === '') return { attribute, filter };
  const sub = /^\.([A-Za-z$][\w$-]*)$/.exec(rest);
  if (!sub) throw fail(`unexpected '${rest}' after the value filter`);
  return { attribute, filter, subAttribute: sub[1] };
}

/** An ordering comparison of two numbers or two strings (NaN matches nothing). */
export function orderCompare<T extends number | string>(
  op: CompareOp,
  actual: T,
  expected: T,
): boolean {
  if (typeof actual === 'number' && Number.isNaN(actual)) return false;
  switch (op) {
    case 'eq':
      return actual === expected;
    case 'ne':
      return actual !== expected;
    case 'gt':
      return actual > expected;
    case 'ge':
      return actual >= expected;
    case 'lt':
      return actual < expected;
    case 'le':
      return actual <= expected;
    default:
      return false;
  }
}
