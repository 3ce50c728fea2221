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
import { Card, CardBody, CardHeader } from '@wordpress/components';
import { useRef } from '@wordpress/element';
import { __ } from '@wordpress/i18n';

/**
 * Internal dependencies
 */
import { listRoles, listRuleConnections } from '../../api';
import ErrorNotice from '../../components/error-notice';
import LoadingState from '../../components/loading-state';
import RoleMapEditor from '../../components/role-map-editor';
import { validateRoleMap } from '../../components/role-map-editor/validate';
import SaveBar from '../../components/save-bar';
import { useConfigSection } from '../../hooks/use-config-section';
import { useFormChecks } from '../../hooks/use-form-checks';
import { useRequest } from '../../hooks/use-request';

export default function RoleMapping() {
  const section = useConfigSection('roleMap');
  const roles = useRequest(listRoles);
  const connections = useRequest(listRuleConnections);
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

  const onSubmit = async (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    if (section.isSaving || !checks.check(form.current)) {
      return;
    }
    if (await section.save()) {
      checks.reset();
    }
  };

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
    </form>
  );
}
