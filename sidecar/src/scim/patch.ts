// PATCH (RFC 7644 §3.5.2) as Entra ID and Okta send it. A pure normalisation step turns
// every accepted shape into plain-path operations SCIMMY's PatchOp applies:
//   - `op` in any case (Entra: "Replace"); values of the declared type ("False" → false);
//   - no-path operations whose value holds dotted or URN keys ("name.givenName",
//     "urn:…:enterprise:2.0:User:manager") become one operation per attribute;
//   - replace of a single-valued complex attribute merges its sub-attributes (§3.5.2.3);
//   - value paths (emails[type eq "work"].value) are resolved here with the schema-aware
//     filter: matched items are changed, and add/replace with no match appends the item
//     the filter describes (Entra adds a work email this way);
//   - removal of multi-valued items by value, and Group membership, are done here too:
//     membership changes come back as a delta so large groups are changed incrementally.
// The password is taken out before SCIMMY sees the operations and returned on its own.
import SCIMMY from 'scimmy';
import { badRequest, fromScimmyError, ScimError } from './errors.js';
import { compileValueFilter, conjuncts, parsePatchPath } from './filter.js';
import type { FilterNode } from './filter.js';
import { scimmySchemas } from './schemas/definitions.js';
import { findByName, getProp, requireAttribute, resolveAttribute } from './schemas/model.js';
import type { ResolvedAttribute, ResourceTypeDef, ScimResource } from './schemas/model.js';
import { coerceValue, preview, validateResource } from './validate.js';

export const PATCH_SCHEMA = 'urn:ietf:params:scim:api:messages:2.0:PatchOp';

export type PatchOpName = 'add' | 'remove' | 'replace';

export interface PatchOperation {
  op: PatchOpName;
  path?: string;
  value?: unknown;
}

/** Membership changes, in user ids: `replace` (when set) first, then add, then remove. */
export interface MemberDelta {
  replace?: string[];
  add: string[];
  remove: string[];
}

export interface PatchResult {
  resource: ScimResource;
  /** Set when an operation set the password (write-only: never part of the resource). */
  password?: string;
  /** Set for Groups when membership changed. */
  members?: MemberDelta;
  /** False when the PATCH changed nothing. */
  changed: boolean;
}

const MAX_OPERATIONS = 1000;
const isPlainObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/** Validates the PatchOp message itself (schemas, Operations, op names, paths). */
export function parsePatchRequest(body: unknown): PatchOperation[] {
  if (!isPlainObject(body))
    throw badRequest('invalidSyntax', 'The PATCH body must be a JSON object');
  const schemas = getProp(body, 'schemas');
  if (
    !Array.isArray(schemas) ||
    !schemas.some((s) => typeof s === 'string' && s.toLowerCase() === PATCH_SCHEMA.toLowerCase())
  )
    throw badRequest('invalidSyntax', `'schemas' must be ["${PATCH_SCHEMA}"]`);
  const operations = getProp(body, 'Operations');
  if (!Array.isArray(operations) || operations.length === 0)
    throw badRequest('invalidSyntax', "'Operations' must be a non-empty list");
  if (operations.length > MAX_OPERATIONS)
    throw new ScimError(400, 'tooMany', `At most ${MAX_OPERATIONS} operations per PATCH`);
  return operations.map((raw, i) => {
    const n = i + 1;
    if (!isPlainObject(raw)) throw badRequest('invalidSyntax', `Operation ${n} must be an object`);
    const op = getProp(raw, 'op');
    if (typeof op !== 'string' || !['add', 'remove', 'replace'].includes(op.toLowerCase()))
      throw badRequest(
        'invalidSyntax',
        `Operation ${n}: 'op' must be add, remove or replace, got ${preview(op)}`,
      );
    const path = getProp(raw, 'path');
    if (path !== undefined && path !== null && typeof path !== 'string')
      throw badRequest('invalidPath', `Operation ${n}: 'path' must be a string`);
    const value = getProp(raw, 'value');
    const name = op.toLowerCase() as PatchOpName;
    const trimmed = typeof path === 'string' && path.trim() !== '' ? path.trim() : undefined;
    if (name === 'remove' && !trimmed)
      throw badRequest('noTarget', `Operation ${n}: 'remove' needs a 'path'`);
    if (name !== 'remove' && value === undefined)
      throw badRequest('invalidValue', `Operation ${n}: '${name}' needs a 'value'`);
    return { op: name, path: trimmed, value };
  });
}

interface Normalised {
  ops: PatchOperation[];
  password?: string;
  members?: MemberDelta;
}

const clone = <T>(value: T): T => structuredClone(value);

/** Deep equality of JSON values, for de-duplicating multi-valued items. */
function sameJson(a: unknown, b: unknown): boolean {
  return JSON.stringify(sortKeys(a)) === JSON.stringify(sortKeys(b));
}
function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (isPlainObject(value))
    return Object.fromEntries(
      Object.keys(value)
        .sort()
        .map((k) => [k, sortKeys(value[k])]),
    );
  return value;
}

/** The canonical PATCH path SCIMMY understands for a resolved attribute. */
function canonicalPath(resolved: ResolvedAttribute): string {
  if (!resolved.schema) return resolved.path;
  if (resolved.path === resolved.schema) return resolved.schema;
  return `${resolved.schema}:${resolved.path}`;
}

/** The item an add/replace creates when a value filter matched nothing: its eq conditions. */
function itemFromFilter(
  filter: FilterNode,
  parent: ResolvedAttribute,
): Record<string, unknown> | undefined {
  const item: Record<string, unknown> = {};
  for (const node of conjuncts(filter)) {
    if (node.op !== 'eq' || node.value === null) return undefined;
    const sub =
      parent.attribute.subAttributes && findByName(parent.attribute.subAttributes, node.path);
    if (!sub) return undefined;
    item[sub.name] = coerceValue(sub, node.value, `${parent.path}.${sub.name}`);
  }
  return item;
}

function readContainer(resource: ScimResource, resolved: ResolvedAttribute): unknown {
  const container = resolved.schema ? getProp(resource, resolved.schema) : resource;
  return getProp(container, resolved.attribute.name);
}

class Normaliser {
  private readonly ops: PatchOperation[] = [];
  private password?: string;
  private members?: MemberDelta;
  /** The resource as the operations so far leave it, for value-path resolution. */
  private readonly working: ScimResource;

  constructor(
    private readonly rt: ResourceTypeDef,
    resource: ScimResource,
  ) {
    this.working = clone(resource);
  }

  run(operations: PatchOperation[]): Normalised {
    operations.forEach((operation, i) => this.operation(operation, i + 1));
    return { ops: this.ops, password: this.password, members: this.members };
  }

  private operation(operation: PatchOperation, n: number) {
    if (operation.path === undefined) {
      if (!isPlainObject(operation.value))
        throw badRequest(
          'invalidValue',
          `Operation ${n}: without a 'path', 'value' must be an object of attributes`,
        );
      for (const [key, value] of Object.entries(operation.value)) {
        const lower = key.toLowerCase();
        // Okta repeats the id (and sometimes schemas/meta) in no-path replaces.
        if (lower === 'schemas' || lower === 'meta') continue;
        if (lower === 'id') {
          if (value !== undefined && String(value) !== String(this.working.id ?? value))
            throw badRequest('mutability', `Operation ${n}: 'id' cannot be changed`);
          continue;
        }
        this.withPath(operation.op, key, value, n);
      }
      return;
    }
    this.withPath(operation.op, operation.path, operation.value, n);
  }

  private withPath(op: PatchOpName, rawPath: string, value: unknown, n: number) {
    const path = parsePatchPath(rawPath);
    const context = `Operation ${n} (${op} '${rawPath}')`;
    const resolved = requireAttribute(this.rt, path.attribute, 'invalidPath', context);
    const attribute = resolved.attribute;
    if (path.filter) {
      this.valuePath(op, resolved, path.filter, path.subAttribute, value, context);
      return;
    }
    // A whole extension named by its URN: one operation per sub-attribute.
    if (resolved.schema && resolved.path === resolved.schema) {
      if (op === 'remove') {
        this.push({ op, path: resolved.schema });
        return;
      }
      if (!isPlainObject(value))
        throw badRequest('invalidValue', `${context}: the value must be an object`);
      for (const [key, sub] of Object.entries(value)) {
        // An extension value may repeat its schemas, as the top level may: ignored alike.
        if (key.toLowerCase() === 'schemas') continue;
        this.withPath(op, `${resolved.schema}:${key}`, sub, n);
      }
      return;
    }
    if (
      attribute.mutability === 'readOnly' ||
      (attribute.mutability === 'immutable' && op !== 'add' && !resolved.parent)
    )
      throw badRequest('mutability', `${context}: '${resolved.path}' is read-only`);
    if (resolved.path === 'password') {
      if (op === 'remove') return;
      const password = coerceValue(attribute, value, 'password');
      if (typeof password !== 'string' || password === '')
        throw badRequest('invalidValue', `${context}: the password must be a non-empty string`);
      this.password = password;
      return;
    }
    if (this.rt.name === 'Group' && resolved.path.toLowerCase().startsWith('members')) {
      this.membersOp(op, resolved, value, context);
      return;
    }
    if (op === 'remove') {
      if (attribute.required && !resolved.parent)
        throw badRequest(
          'mutability',
          `${context}: '${resolved.path}' is required and cannot be removed`,
        );
      if (value !== undefined && attribute.multiValued) {
        this.removeValues(resolved, value, context);
        return;
      }
      this.push({ op, path: canonicalPath(resolved) });
      return;
    }
    if (value === null) {
      // Entra and others send null to clear an attribute.
      if (attribute.required && !resolved.parent)
        throw badRequest('mutability', `${context}: '${resolved.path}' is required`);
      this.push({ op: 'remove', path: canonicalPath(resolved) });
      return;
    }
    const coerced = coerceValue(attribute, value, resolved.path, true);
    if (coerced === undefined) return;
    // Replacing a single-valued complex attribute changes only the sub-attributes given.
    // SCIMMY's add merges into a complex attribute (or creates it), which is exactly that.
    if (attribute.type === 'complex' && !attribute.multiValued && isPlainObject(coerced)) {
      this.push({ op: 'add', path: canonicalPath(resolved), value: coerced });
      return;
    }
    if (attribute.multiValued && op === 'add') {
      // Adding a value already there adds nothing; a new primary demotes the old one.
      const existing = readContainer(this.working, resolved);
      const current = Array.isArray(existing) ? existing : [];
      const fresh = (coerced as unknown[]).filter(
        (item) => !current.some((c) => sameJson(c, item)),
      );
      if (fresh.length === 0) return;
      const demote = fresh.some((item) => isPlainObject(item) && item.primary === true);
      const merged = [
        ...current.map((c) =>
          demote && isPlainObject(c) && c.primary ? { ...c, primary: false } : c,
        ),
        ...fresh,
      ];
      this.push({ op: 'replace', path: canonicalPath(resolved), value: merged });
      return;
    }
    this.push({ op, path: canonicalPath(resolved), value: coerced });
  }

  /** emails[type eq "work"].value and friends, resolved against the working resource. */
  private valuePath(
    op: PatchOpName,
    resolved: ResolvedAttribute,
    filter: FilterNode,
    subName: string | undefined,
    value: unknown,
    context: string,
  ) {
    const attribute = resolved.attribute;
    if (attribute.type !== 'complex' || resolved.parent)
      throw badRequest(
        'invalidPath',
        `${context}: only a complex attribute can take a value filter`,
      );
    let matches: (item: unknown) => boolean;
    try {
      matches = compileValueFilter(filter, resolved);
    } catch (error) {
      if (error instanceof ScimError)
        throw badRequest('invalidPath', `${context}: ${error.detail}`);
      throw error;
    }
    const sub = subName
      ? attribute.subAttributes && findByName(attribute.subAttributes, subName)
      : undefined;
    if (subName && !sub)
      throw badRequest('invalidPath', `${context}: unknown sub-attribute '${subName}'`);
    if (this.rt.name === 'Group' && resolved.path === 'members' && op === 'remove' && !sub) {
      const current = readContainer(this.working, resolved);
      const filterValues = conjuncts(filter);
      // members[value eq "12"]: no need to know the current members.
      if (
        filterValues.length === 1 &&
        filterValues[0]!.op === 'eq' &&
        filterValues[0]!.path === 'value'
      ) {
        this.membersOp('remove', resolved, [{ value: String(filterValues[0]!.value) }], context);
        return;
      }
      const items = Array.isArray(current) ? current : [];
      this.membersOp('remove', resolved, items.filter(matches), context);
      return;
    }
    const existing = readContainer(this.working, resolved);
    const items: unknown[] = attribute.multiValued
      ? Array.isArray(existing)
        ? clone(existing)
        : []
      : existing === undefined
        ? []
        : [clone(existing)];
    const hit = items.map((item) => matches(item));
    const any = hit.some(Boolean);
    let next: unknown[];
    if (op === 'remove') {
      if (!any) return;
      next = sub
        ? items.map((item, i) => {
            if (!hit[i] || !isPlainObject(item)) return item;
            const copy = { ...item };
            delete copy[sub.name];
            return copy;
          })
        : items.filter((_, i) => !hit[i]);
    } else {
      if (sub && sub.mutability === 'readOnly')
        throw badRequest('mutability', `${context}: '${sub.name}' is read-only`);
      const coerced = sub
        ? coerceValue({ ...sub, multiValued: false }, value, `${resolved.path}.${sub.name}`)
        : coerceValue({ ...attribute, multiValued: false }, value, resolved.path);
      if (any) {
        next = items.map((item, i) => {
          if (!hit[i]) return item;
          if (sub) return { ...(item as object), [sub.name]: coerced };
          return op === 'add' ? { ...(item as object), ...(coerced as object) } : coerced;
        });
      } else {
        const base = itemFromFilter(filter, resolved);
        if (!base) throw badRequest('noTarget', `${context}: no value matches the filter`);
        next = [
          ...items,
          sub ? { ...base, [sub.name]: coerced } : { ...base, ...(coerced as object) },
        ];
      }
      if (sub?.name === 'primary' && coerced === true) {
        // Only one primary: the one just set wins.
        next = next.map((item, i) =>
          (i < hit.length && hit[i]) || i >= hit.length
            ? item
            : isPlainObject(item) && item.primary
              ? { ...item, primary: false }
              : item,
        );
      }
    }
    next = next.filter((item) => !isPlainObject(item) || Object.keys(item).length > 0);
    const path = canonicalPath(resolved);
    if (next.length === 0) this.push({ op: 'remove', path });
    else this.push({ op: 'replace', path, value: attribute.multiValued ? next : next[0] });
  }

  /** Removes multi-valued items equal (per sub-attribute and caseExact) to the given ones. */
  private removeValues(resolved: ResolvedAttribute, value: unknown, context: string) {
    const wanted = (Array.isArray(value) ? value : [value]).map((v, i) =>
      coerceValue({ ...resolved.attribute, multiValued: false }, v, `${resolved.path}[${i}]`),
    );
    const existing = readContainer(this.working, resolved);
    if (!Array.isArray(existing)) return;
    const equal = (a: unknown, b: unknown, caseExact: boolean) =>
      caseExact ? String(a) === String(b) : String(a).toLowerCase() === String(b).toLowerCase();
    const next = existing.filter(
      (item) =>
        !wanted.some((w) => {
          if (!isPlainObject(w)) return equal(item, w, resolved.attribute.caseExact);
          return Object.entries(w).every(([k, v]) => {
            const sub =
              resolved.attribute.subAttributes && findByName(resolved.attribute.subAttributes, k);
            return equal(getProp(item, k), v, sub?.caseExact ?? false);
          });
        }),
    );
    void context;
    const path = canonicalPath(resolved);
    if (next.length === 0) this.push({ op: 'remove', path });
    else if (next.length !== existing.length) this.push({ op: 'replace', path, value: next });
  }

  private membersOp(op: PatchOpName, resolved: ResolvedAttribute, value: unknown, context: string) {
    if (resolved.parent)
      throw badRequest('invalidPath', `${context}: change members as a whole ({"value": id})`);
    const ids = (
      value === undefined || value === null ? [] : Array.isArray(value) ? value : [value]
    ).map((member, i) => {
      const id = isPlainObject(member) ? getProp(member, 'value') : member;
      if ((typeof id !== 'string' && typeof id !== 'number') || String(id).trim() === '')
        throw badRequest('invalidValue', `${context}: member ${i + 1} needs a 'value' (a user id)`);
      return String(id).trim();
    });
    const delta = (this.members ??= { add: [], remove: [] });
    const current = readContainer(this.working, resolved);
    let list = Array.isArray(current) ? (current as Record<string, unknown>[]) : [];
    const without = (remove: string[]) =>
      list.filter((m) => !remove.includes(String(getProp(m, 'value'))));
    if (op === 'replace' || (op === 'remove' && value === undefined)) {
      delta.replace = [...new Set(ids)];
      delta.add = [];
      delta.remove = [];
      list = delta.replace.map((id) => ({ value: id }));
    } else if (op === 'add') {
      for (const id of ids) {
        if (!delta.add.includes(id)) delta.add.push(id);
        delta.remove = delta.remove.filter((r) => r !== id);
        if (!list.some((m) => String(getProp(m, 'value')) === id)) list = [...list, { value: id }];
      }
    } else {
      for (const id of ids) {
        if (!delta.remove.includes(id)) delta.remove.push(id);
        delta.add = delta.add.filter((a) => a !== id);
      }
      list = without(ids);
    }
    if (delta.replace) {
      // Fold add/remove into the replacement list once a replace happened.
      delta.replace = [...new Set([...delta.replace, ...delta.add])].filter(
        (id) => !delta.remove.includes(id),
      );
      delta.add = [];
      delta.remove = [];
    }
    this.working.members = list;
  }

  private push(op: PatchOperation) {
    this.ops.push(op);
    applyToWorking(this.working, this.rt, op);
  }
}

/** Keeps the working copy in step so later value paths see earlier operations. */
function applyToWorking(working: ScimResource, rt: ResourceTypeDef, op: PatchOperation) {
  const resolved = resolveAttribute(rt, op.path!);
  if (!resolved) return;
  const container = resolved.schema
    ? ((working[resolved.schema] ??= {}) as Record<string, unknown>)
    : working;
  if (resolved.path === resolved.schema) {
    if (op.op === 'remove') delete working[resolved.schema];
    return;
  }
  if (resolved.parent) {
    const parent = (container[resolved.parent.name] ??= {}) as Record<string, unknown>;
    if (Array.isArray(parent)) return;
    if (op.op === 'remove') delete parent[resolved.attribute.name];
    else parent[resolved.attribute.name] = clone(op.value);
    return;
  }
  const name = resolved.attribute.name;
  const current = container[name];
  if (op.op === 'remove') delete container[name];
  else if (op.op === 'add' && isPlainObject(current) && isPlainObject(op.value))
    container[name] = { ...current, ...clone(op.value) };
  else container[name] = clone(op.value);
}

/** Normalises the operations (exported for tests: it is where the IdP quirks live). */
export function normalisePatch(
  rt: ResourceTypeDef,
  resource: ScimResource,
  operations: PatchOperation[],
): Normalised {
  return new Normaliser(rt, resource).run(operations);
}

/**
 * Applies a PATCH to a resource (as stored: no password). Returns the new resource,
 * validated, with id/meta kept from the original.
 */
export async function applyPatch(
  rt: ResourceTypeDef,
  resource: ScimResource,
  operations: PatchOperation[],
): Promise<PatchResult> {
  const { ops, password, members } = normalisePatch(rt, resource, operations);
  const { id, meta, ...body } = resource;
  const schemaClass = scimmySchemas()[rt.name as 'User' | 'Group'];
  // Membership is applied by the normaliser; SCIMMY sees the rest.
  const { members: currentMembers, ...withoutMembers } = body;
  let patched: ScimResource = rt.name === 'Group' ? withoutMembers : body;
  let changed = false;
  if (ops.length > 0) {
    let result: unknown;
    try {
      const instance = new schemaClass(rt.name === 'Group' ? withoutMembers : body, 'both');
      const message = new SCIMMY.Messages.PatchOp({ schemas: [PATCH_SCHEMA], Operations: ops });
      result = await message.apply(instance as never);
    } catch (error) {
      throw fromScimmyError(error) ?? badRequest('invalidValue', (error as Error).message);
    }
    if (result) {
      patched = JSON.parse(JSON.stringify(result)) as ScimResource;
      delete patched.id;
      delete patched.meta;
      changed = true;
    }
  }
  if (rt.name === 'Group') {
    const delta = members;
    let list = Array.isArray(currentMembers) ? (currentMembers as Record<string, unknown>[]) : [];
    if (delta) {
      if (delta.replace)
        list = delta.replace.map(
          (value) => list.find((m) => String(m.value) === value) ?? { value },
        );
      for (const value of delta.add)
        if (!list.some((m) => String(m.value) === value)) list = [...list, { value }];
      list = list.filter((m) => !delta.remove.includes(String(m.value)));
      changed = true;
    }
    if (list.length) patched.members = list;
  }
  if (password !== undefined) changed = true;
  // Only one primary per multi-valued attribute, and no duplicates.
  const validated = validateResource(rt, patched, 'patched');
  const output: ScimResource = { ...validated };
  if (id !== undefined) output.id = id;
  if (meta !== undefined) output.meta = meta;
  return { resource: output, password, members, changed };
}
