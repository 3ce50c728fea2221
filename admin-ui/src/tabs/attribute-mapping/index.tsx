/**
 * Attribute mapping tab: which source attribute fills which WordPress field, checked as the
 * admin types, with a preview of one sample user.
 */

/**
 * External dependencies
 */
import type { FormEvent } from 'react';

/**
 * WordPress dependencies
 */
import { Card, CardBody, CardHeader, Notice, ToggleControl } from '@wordpress/components';
import { useRef, useState } from '@wordpress/element';
import { __ } from '@wordpress/i18n';

/**
 * Internal dependencies
 */
import { saveConfig, toApiError } from '../../api';
import type { ApiError } from '../../api';
import AttributeMapEditor from '../../components/attribute-map-editor';
import { validateAttributeMap } from '../../components/attribute-map-editor/validate';
import ErrorNotice from '../../components/error-notice';
import LoadingState from '../../components/loading-state';
import MappingPreview from '../../components/mapping-preview';
import SaveBar from '../../components/save-bar';
import { useConfigSection } from '../../hooks/use-config-section';
import { useFormChecks } from '../../hooks/use-form-checks';

/**
 * "Keep WordPress logins in step with the source": off, a login never changes after the user
 * was created (WordPress itself says usernames cannot be changed); on, a source renames users.
 */
function LoginRenames({ initial }: { initial: boolean }) {
  const [stored, setStored] = useState(initial);
  const [value, setValue] = useState(initial);
  const [isSaving, setIsSaving] = useState(false);
  const [saved, setSaved] = useState(false);
  const [error, setError] = useState<ApiError | null>(null);

  const onSubmit = async (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    if (isSaving) {
      return;
    }
    setIsSaving(true);
    setError(null);
    setSaved(false);
    try {
      const answer = await saveConfig({ renameLogins: value });
      setStored(answer.renameLogins ?? false);
      setValue(answer.renameLogins ?? false);
      setSaved(true);
    } catch (failure) {
      setError(toApiError(failure));
    } finally {
      setIsSaving(false);
    }
  };

  return (
    <form onSubmit={onSubmit} noValidate>
      <Card className="usersync-card">
        <CardHeader>
          <h2 className="usersync-card__title">{__('Logins', 'usersync')}</h2>
        </CardHeader>
        <CardBody>
          <ToggleControl
            label={__('Keep WordPress logins in step with the source', 'usersync')}
            help={__(
              'Off (recommended): a user keeps the login it was created with, whatever the source sends later; the source still reads back and finds the user by its own value. On: when the value mapped to user_login changes in the source, the WordPress user is renamed.',
              'usersync',
            )}
            checked={value}
            onChange={(next) => {
              setSaved(false);
              setValue(next);
            }}
          />
          {value ? (
            <Notice status="warning" isDismissible={false}>
              {__(
                'WordPress does not expect logins to change: renamed users must sign in with their new login, and links, other plugins or scripts that use the old login stop finding them. The audit log records every rename with the old and the new login.',
                'usersync',
              )}
            </Notice>
          ) : null}
          <SaveBar
            label={__('Save login setting', 'usersync')}
            isSaving={isSaving}
            saved={saved}
            isDirty={value !== stored}
            problemCount={0}
            attempted={false}
            error={error}
          />
        </CardBody>
      </Card>
    </form>
  );
}

export default function AttributeMapping() {
  const section = useConfigSection('attributeMap');
  const form = useRef<HTMLFormElement>(null);
  const rows = section.draft ?? [];
  const problems = validateAttributeMap(rows);
  const checks = useFormChecks(problems, section.serverErrors, (path) => {
    const match = /^attributeMap\[(\d+)\]\[(source|target|template)\]$/.exec(path);
    if (!match) {
      return false;
    }
    const row = rows[Number(match[1])];
    const value = {
      source: row?.source,
      target: row?.target.replace(/^(meta|xprofile):/, ''),
      template: row?.template,
    }[match[2] as 'source' | 'target' | 'template'];
    return (value ?? '').trim() === '';
  });

  if (section.draft === undefined) {
    if (section.loadError) {
      return (
        <ErrorNotice
          title={__('The attribute map could not be loaded.', 'usersync')}
          error={section.loadError}
          onRetry={section.reload}
        />
      );
    }
    return <LoadingState label={__('Loading the attribute map…', 'usersync')} />;
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

  const mapError = checks.shown.attributeMap;

  return (
    <div className="usersync-attribute-mapping">
      <form ref={form} onSubmit={onSubmit} noValidate>
        <Card className="usersync-card">
          <CardHeader>
            <h2 className="usersync-card__title">{__('Attribute mapping', 'usersync')}</h2>
          </CardHeader>
          <CardBody>
            <p>
              {__(
                'Each row copies one attribute of the source user (as SCIM names it) into a WordPress field. “Into WordPress” rows apply to SCIM pushes and scheduled pulls; “Out of WordPress” rows apply when WordPress changes are sent to a two-way connection. A default value is used when the source has none.',
                'usersync',
              )}
            </p>
            <p>
              {__(
                'To build a value from several attributes, choose the transform “Template” and write attribute names in braces, as in the source column: {name.givenName}.{name.familyName} or {userName}@example.org. When any of them has no value, the row gives none and its default value is used, so a missing family name never makes a login like “john.”. Templates only go into WordPress.',
                'usersync',
              )}
            </p>
            {mapError ? (
              <Notice status="error" isDismissible={false} className="usersync-form-error">
                {mapError}
              </Notice>
            ) : null}
            <AttributeMapEditor
              rows={rows}
              errors={checks.shown}
              onChange={(next) => section.setDraft(() => next)}
              onEdit={(path) => {
                checks.touch(path);
                section.clearServerError(path);
              }}
            />
            <SaveBar
              label={__('Save attribute mapping', 'usersync')}
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
      <LoginRenames initial={section.config?.renameLogins ?? false} />
      <Card className="usersync-card">
        <CardHeader>
          <h2 className="usersync-card__title">{__('Preview', 'usersync')}</h2>
        </CardHeader>
        <CardBody>
          <MappingPreview rows={rows} />
        </CardBody>
      </Card>
    </div>
  );
}
