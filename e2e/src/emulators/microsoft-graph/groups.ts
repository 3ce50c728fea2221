// The groups resource: `GET /v1.0/groups` ("List groups"), `/groups/delta` ("group: delta":
// `members@delta` with the members added and, `@removed`, taken away since the last round;
// large groups split over several items), `/groups/{id}`, `/groups/{id}/members` ("List group
// members") and the groups a user is a direct member of, `/users/{id}/memberOf` ("List a
// user's direct memberships"). All need a group permission such as `GroupMember.Read.All`.
import type { Request, Response } from 'express';

import { DirectoryError, project } from './directory.js';
import type { EmulatedGroup, GraphProps } from './directory.js';
import { base, needs, selectOf, top } from './http.js';
import type { Query } from './http.js';
import { deltaPage, deltaStart, listPage, readToken, refuseDeltaInB2c } from './paging.js';
import type { EmulatorState } from './state.js';

const MEMBER_CHUNK = 500;

/** `/v1.0/groups/{id}/{sub}`, with the token's application permissions. */
export function groupsRoute(
  state: EmulatorState,
  req: Request,
  res: Response,
  roles: string[],
  [id, sub]: (string | undefined)[],
): unknown {
  const query = req.query as Query;
  needs(roles, 'groups');
  if (id === 'delta' || id === 'delta()' || id === 'microsoft.graph.delta()') {
    return groupsDelta(state, req, res, query);
  }
  if (!id) return groupsList(state, req, res, query);
  const group = state.directory.group(id);
  if (sub === 'members') return groupMembers(state, req, res, query, group);
  if (sub)
    throw new DirectoryError(400, 'BadRequest', `Resource not found for the segment '${sub}'.`);
  return res.json({
    '@odata.context': `${base(req)}/v1.0/$metadata#groups/$entity`,
    ...projectGroup(group, selectOf(query)),
  });
}

function projectGroup(group: EmulatedGroup, select: string[] | null): GraphProps {
  const fields = select ?? ['displayName', 'description', 'mail', 'securityEnabled'];
  const out: GraphProps = { id: group.id };
  for (const field of fields) {
    if (field === 'displayName') out.displayName = group.displayName;
    else if (field === 'securityEnabled') out.securityEnabled = true;
    else if (field !== 'id' && field !== 'members') out[field] = null;
  }
  return out;
}

function groupsDelta(state: EmulatorState, req: Request, res: Response, query: Query) {
  const { directory } = state;
  refuseDeltaInB2c(state);
  const token = deltaStart(state, req, res, query, 'groups', directory.groupLog);
  if (!token) return;
  const withMembers = token.sel?.includes('members') ?? false;
  const sel = token.sel?.filter((s) => s !== 'members') ?? ['displayName'];
  const value: GraphProps[] = [];
  let p = token.p;
  let o = token.o ?? 0;
  if (token.m === 'i') {
    // Large groups are split over several items (and pages), each with part of the members.
    while (p < directory.groupOrder.length && value.length < token.n) {
      const group = directory.groups.get(directory.groupOrder[p]!)!;
      if (group.deleted) {
        p++;
        continue;
      }
      const item: GraphProps = projectGroup(group, sel);
      if (withMembers) {
        const members = [...group.members].slice(o, o + MEMBER_CHUNK);
        item['members@delta'] = members.map((id) => ({
          '@odata.type': '#microsoft.graph.user',
          id,
        }));
        o += members.length;
      }
      value.push(item);
      if (!withMembers || o >= group.members.size) {
        p++;
        o = 0;
      }
    }
    const done = p >= directory.groupOrder.length;
    return deltaPage(state, req, res, 'groups', value, { ...token, o }, p, done, token.u!);
  }
  const log = directory.groupLog;
  while (p < log.length && log[p]!.seq <= token.u! && value.length < token.n) {
    const entry = log[p++]!;
    const group = directory.groups.get(entry.id)!;
    if (group.changedSeq !== entry.seq) continue;
    if (group.deleted) {
      value.push({ id: group.id, '@removed': { reason: 'deleted' } });
      continue;
    }
    const item = projectGroup(group, sel);
    if (withMembers) {
      const final = new Map<string, boolean>();
      for (const change of group.memberLog) {
        if (change.seq > token.s! && change.seq <= token.u!) final.set(change.userId, change.added);
      }
      item['members@delta'] = [...final].map(([id, added]) =>
        added
          ? { '@odata.type': '#microsoft.graph.user', id }
          : { '@odata.type': '#microsoft.graph.user', id, '@removed': { reason: 'deleted' } },
      );
    }
    value.push(item);
  }
  const done = p >= log.length || log[p]!.seq > token.u!;
  return deltaPage(state, req, res, 'groups', value, token, p, done, token.u!);
}

function groupsList(state: EmulatorState, req: Request, res: Response, query: Query) {
  const { directory } = state;
  const token = query.$skiptoken
    ? readToken(state, query.$skiptoken, 'groups-list')
    : {
        k: 'groups-list' as const,
        p: 0,
        sel: selectOf(query),
        n: top(query),
        iss: directory.seq,
      };
  const value: GraphProps[] = [];
  let p = token.p;
  while (p < directory.groupOrder.length && value.length < token.n) {
    const group = directory.groups.get(directory.groupOrder[p++]!)!;
    if (!group.deleted) value.push(projectGroup(group, token.sel));
  }
  const done = p >= directory.groupOrder.length;
  return listPage(state, req, res, 'groups', value, token, p, done, query);
}

function groupMembers(
  state: EmulatorState,
  req: Request,
  res: Response,
  query: Query,
  group: EmulatedGroup,
) {
  const path = `groups/${group.id}/members`;
  const members = () => [...group.members];
  return relationPage(state, req, res, query, 'members', group.id, path, members, (id, sel) => ({
    '@odata.type': '#microsoft.graph.user',
    ...project(state.directory.users.get(id)!, sel ?? ['displayName', 'userPrincipalName']),
  }));
}

/** `/users/{id}/memberOf`: the groups `userId` is a direct member of. */
export function memberOf(
  state: EmulatorState,
  req: Request,
  res: Response,
  query: Query,
  userId: string,
) {
  const path = `users/${userId}/memberOf`;
  const groups = () => state.directory.groupsOf(userId);
  return relationPage(state, req, res, query, 'memberOf', userId, path, groups, (group, sel) => ({
    '@odata.type': '#microsoft.graph.group',
    ...projectGroup(group, sel),
  }));
}

/** A page of one owner's relationship (a group's members, a user's groups), `$top` at a time. */
function relationPage<T>(
  state: EmulatorState,
  req: Request,
  res: Response,
  query: Query,
  k: 'members' | 'memberOf',
  ownerId: string,
  path: string,
  related: () => T[],
  item: (related: T, sel: string[] | null) => GraphProps,
) {
  const token = query.$skiptoken
    ? readToken(state, query.$skiptoken, k)
    : { k, p: 0, sel: selectOf(query), n: top(query), id: ownerId, iss: state.directory.seq };
  const all = related();
  const value = all.slice(token.p, token.p + token.n).map((x) => item(x, token.sel));
  const p = token.p + value.length;
  return listPage(state, req, res, path, value, token, p, p >= all.length, query);
}
