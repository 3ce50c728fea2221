/**
 * Role mapping tab: which WordPress role members of each source group get.
 */

/**
 * External dependencies
 */
import type { FormEvent } from 'react';

/**
 * WordPress dependencies
 */
import {
  Button,
  Card,
  CardBody,
  CardHeader,
  Flex,
  FlexItem,
  Modal,
  Notice,
} from '@wordpress/components';
import { useRef, useState } from '@wordpress/element';
import { __, _n, sprintf } from '@wordpress/i18n';

/**
 * Internal dependencies
 */
import { getRoleImpact, listRoles, listRuleConnections } from '../../api';
import type { RoleImpact } from '../../api';
import ErrorNotice from '../../components/error-notice';
import LoadingState from '../../components/loading-state';
import RoleMapEditor from '../../components/role-map-editor';
import RoleUpdateModes from '../../components/role-update-modes';
import { validateRoleMap } from '../../components/role-map-editor/validate';
import SaveBar from '../../components/save-bar';
import { useConfigSection } from '../../hooks/use-config-section';
import { useFormChecks } from '../../hooks/use-form-checks';
import { useRequest } from '../../hooks/use-request';

export default function RoleMapping() {
  const section = useConfigSection('roleMap');
  const roles = useRequest(listRoles);
  const connections = useRequest(listRuleConnections);
  const [impact, setImpact] = useState<RoleImpact | null>(null);
  const [isChecking, setIsChecking] = useState(false);
  const form = useRef<HTMLFormElement>(null);
  const roleMap = section.draft;
  const problems = roleMap ? validateRoleMap(roleMap, roles.data) : {};
  const checks = useFormChecks(problems, section.serverErrors, (path) => {
    const match = /^roleMap\[rules\]\[(\d+)\]\[(group|role)\]$/.exec(path);
    const rule = match ? roleMap?.rules[Number(match[1])] : undefined;
    return rule !== undefined && match !== null && rule[match[2] as 'group' | 'role'].trim() === '';
  });

  const loadError = section.loadError ?? roles.error ?? connections.error;
  if (roleMap === undefined || roles.data === undefined || connections.data === undefined) {
    if (loadError) {
      return (
        <ErrorNotice
          title={__('The role map could not be loaded.', 'usersync')}
          error={loadError}
          onRetry={() => {
            if (section.loadError) {
              section.reload();
            }
            if (roles.error) {
              roles.reload();
            }
            if (connections.error) {
              connections.reload();
            }
          }}
        />
      );
    }
    return <LoadingState label={__('Loading the role map…', 'usersync')} />;
  }

  const save = async () => {
    setImpact(null);
    if (await section.save()) {
      checks.reset();
    }
  };

  // Saving re-evaluates the roles of the people already in the mapped groups: say who first.
  const onSubmit = async (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    if (section.isSaving || isChecking || !checks.check(form.current)) {
      return;
    }
    setIsChecking(true);
    let found: RoleImpact | null = null;
    try {
      found = await getRoleImpact(roleMap);
    } catch {
      // The save itself shows why the plugin refuses the role map.
    } finally {
      setIsChecking(false);
    }
    if (found && found.count > 0) {
      setImpact(found);
      return;
    }
    await save();
  };

  const updated = section.saved ? (section.config?.rolesUpdated ?? 0) : 0;

  return (
    <form ref={form} onSubmit={onSubmit} noValidate className="usersync-role-mapping">
      <Card className="usersync-card">
        <CardHeader>
          <h2 className="usersync-card__title">{__('Role mapping', 'usersync')}</h2>
        </CardHeader>
        <CardBody>
          <p>
            {__(
              'A synced user gets the role of every rule whose group they belong to. Each rule reads the groups of one connection (or of any connection, when you choose so): a group of the same name sent by another identity provider grants nothing. Group names are those the identity provider sends (SCIM groups, or the groups a scheduled sync reads) and are matched without regard to case. When a user is in several mapped groups, the priority orders their roles: lower numbers come first, and the first is the primary role.',
              'usersync',
            )}
          </p>
          <RoleMapEditor
            roleMap={roleMap}
            roles={roles.data}
            connections={connections.data}
            errors={checks.shown}
            onChange={(next) => section.setDraft(() => next)}
            onEdit={(path) => {
              checks.touch(path);
              section.clearServerError(path);
            }}
          />
          <RoleUpdateModes
            modes={roleMap.updateModes ?? {}}
            connections={connections.data}
            errors={checks.shown}
            onChange={(updateModes) => section.setDraft(() => ({ ...roleMap, updateModes }))}
          />
          {updated > 0 ? (
            <Notice status="success" isDismissible={false}>
              {sprintf(
                /* translators: %d: number of users. */
                _n(
                  'The roles of %d user already in the mapped groups were updated.',
                  'The roles of %d users already in the mapped groups were updated.',
                  updated,
                  'usersync',
                ),
                updated,
              )}
            </Notice>
          ) : null}
          <SaveBar
            label={__('Save role mapping', 'usersync')}
            isSaving={section.isSaving}
            saved={section.saved}
            isDirty={section.isDirty}
            problemCount={Object.keys(checks.shown).length}
            attempted={checks.attempted}
            error={section.saveError}
          />
        </CardBody>
      </Card>
      {impact ? (
        <Modal
          title={sprintf(
            /* translators: %d: number of users. */
            _n(
              'Change the roles of %d user?',
              'Change the roles of %d users?',
              impact.count,
              'usersync',
            ),
            impact.count,
          )}
          onRequestClose={() => setImpact(null)}
          className="usersync-confirm-modal"
        >
          <p>
            {__(
              'These people are already in the groups the rules name. Saving gives them the roles the role map now gives them, and records each change in the audit log. People of directories that a scheduled sync reads get their new roles at the next sync.',
              'usersync',
            )}
          </p>
          <ul className="usersync-role-impact">
            {impact.users.map((user) => (
              <li key={user.id}>
                {sprintf(
                  /* translators: 1: login, 2: roles before, 3: roles after. */
                  __('%1$s: %2$s → %3$s', 'usersync'),
                  user.login,
                  user.from.join(', ') || __('no role', 'usersync'),
                  user.to.join(', ') || __('no role', 'usersync'),
                )}
              </li>
            ))}
          </ul>
          {impact.count > impact.users.length ? (
            <p>
              {sprintf(
                /* translators: %d: number of users not listed. */
                __('… and %d more.', 'usersync'),
                impact.count - impact.users.length,
              )}
            </p>
          ) : null}
          <Flex justify="flex-end">
            <FlexItem>
              <Button variant="tertiary" onClick={() => setImpact(null)}>
                {__('Cancel', 'usersync')}
              </Button>
            </FlexItem>
            <FlexItem>
              <Button variant="primary" onClick={() => void save()}>
                {__('Save and update their roles', 'usersync')}
              </Button>
            </FlexItem>
          </Flex>
        </Modal>
      ) : null}
    </form>
  );
}
