/**
 * Form of a Microsoft Entra ID or Azure AD B2C connection: the app registration (tenant,
 * client id, client secret), the cloud, B2C, photos. The secret is write-only: once stored,
 * the form says so and offers to replace it; it is never shown or sent back.
 */

/**
 * External dependencies
 */
import type { FormEvent } from 'react';

/**
 * WordPress dependencies
 */
import { Button, SelectControl, TextControl, ToggleControl } from '@wordpress/components';
import { useRef, useState } from '@wordpress/element';
import { __ } from '@wordpress/i18n';

/**
 * Internal dependencies
 */
import { fieldErrors, toApiError } from '../../api';
import type { ApiError, ConnectionInput } from '../../api';
import ErrorNotice from '../error-notice';
import { fieldState } from '../field-state';
import type { GraphConnectionFormProps, GraphConnectionValues } from './types';
import { validateGraphConnection } from './validate';

const FIELD_ORDER = ['name', 'slug', 'tenantId', 'clientId', 'clientSecret', 'cloud'];

export default function GraphConnectionForm({
  connection,
  onSave,
  onCancel,
}: GraphConnectionFormProps) {
  const isNew = connection === undefined;
  const [values, setValues] = useState<GraphConnectionValues>({
    name: connection?.name ?? '',
    slug: connection?.slug ?? '',
    tenantId: connection?.tenantId ?? '',
    clientId: connection?.clientId ?? '',
    clientSecret: '',
    replaceSecret: false,
    cloud: connection?.cloud ?? 'global',
    b2c: connection?.b2c ?? false,
    photos: connection?.photos ?? true,
    enabled: connection?.enabled ?? true,
  });
  const [errors, setErrors] = useState<Record<string, string>>({});
  const [formError, setFormError] = useState<ApiError | null>(null);
  const [isSaving, setIsSaving] = useState(false);
  const form = useRef<HTMLFormElement>(null);

  const set = <K extends keyof GraphConnectionValues>(key: K, value: GraphConnectionValues[K]) => {
    setValues((current) => ({ ...current, [key]: value }));
    if (errors[key]) {
      setErrors((current) => ({ ...current, [key]: '' }));
    }
  };

  const focusFirstError = (next: Record<string, string>) => {
    const first = FIELD_ORDER.find((field) => next[field]);
    setTimeout(() => {
      form.current
        ?.querySelector<HTMLElement>(
          `[data-field="${first}"] input, [data-field="${first}"] select`,
        )
        ?.focus();
    });
  };

  const onSubmit = async (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    if (isSaving) {
      return;
    }
    setFormError(null);
    const invalid = validateGraphConnection(values, isNew);
    if (Object.keys(invalid).length > 0) {
      setErrors(invalid);
      focusFirstError(invalid);
      return;
    }
    const input: ConnectionInput = {
      name: values.name.trim(),
      tenantId: values.tenantId.trim(),
      clientId: values.clientId.trim(),
      cloud: values.cloud,
      b2c: values.b2c,
      photos: values.photos,
      enabled: values.enabled,
    };
    if (isNew) {
      input.type = 'microsoft-graph';
      if (values.slug.trim() !== '') {
        input.slug = values.slug.trim();
      }
    }
    if (isNew || values.replaceSecret) {
      input.clientSecret = values.clientSecret;
    }
    setIsSaving(true);
    try {
      await onSave(input);
    } catch (failure) {
      const error = toApiError(failure);
      const byField = fieldErrors(error);
      if (error.code === 'usersync_connection_exists') {
        byField.slug = error.message;
      }
      const known = Object.fromEntries(
        Object.entries(byField).filter(([field]) => FIELD_ORDER.includes(field)),
      );
      if (Object.keys(known).length > 0) {
        setErrors(known);
        focusFirstError(known);
      } else {
        setFormError(error);
      }
      setIsSaving(false);
    }
  };

  const field = (name: string) => ({ 'data-field': name });

  return (
    <form ref={form} onSubmit={onSubmit} noValidate className="usersync-graph-form">
      <div className="usersync-graph-form__grid">
        <div {...field('name')}>
          <TextControl
            {...fieldState(
              errors.name,
              __('Shown in this screen and in the audit log.', 'usersync'),
            )}
            label={__('Name', 'usersync')}
            value={values.name}
            autoComplete="off"
            onChange={(value) => set('name', value)}
          />
        </div>
        <div {...field('slug')}>
          <TextControl
            {...fieldState(
              errors.slug,
              isNew
                ? __(
                    'Optional. Names the identity links of the users this connection brings; derived from the name when empty. It cannot change later.',
                    'usersync',
                  )
                : __(
                    'Names the identity links of this connection’s users; it cannot change.',
                    'usersync',
                  ),
            )}
            label={__('Connection slug', 'usersync')}
            value={values.slug}
            readOnly={!isNew}
            autoComplete="off"
            spellCheck={false}
            onChange={(value) => set('slug', value)}
          />
        </div>
        <div {...field('tenantId')}>
          <TextControl
            {...fieldState(
              errors.tenantId,
              __(
                'Directory (tenant) ID or a verified domain, from the app registration’s Overview.',
                'usersync',
              ),
            )}
            label={__('Tenant ID', 'usersync')}
            value={values.tenantId}
            autoComplete="off"
            spellCheck={false}
            onChange={(value) => set('tenantId', value)}
          />
        </div>
        <div {...field('clientId')}>
          <TextControl
            {...fieldState(
              errors.clientId,
              __('Application (client) ID of the app registration.', 'usersync'),
            )}
            label={__('Client ID', 'usersync')}
            value={values.clientId}
            autoComplete="off"
            spellCheck={false}
            onChange={(value) => set('clientId', value)}
          />
        </div>
        <div {...field('clientSecret')} className="usersync-graph-form__secret">
          {!isNew && !values.replaceSecret ? (
            <div className="usersync-secret-state">
              <span className="components-base-control__label">
                {__('Client secret', 'usersync')}
              </span>
              <p>
                {connection?.clientSecret.set
                  ? __('Set. It is stored encrypted and never shown.', 'usersync')
                  : __('Not set: runs cannot sign in.', 'usersync')}{' '}
                <Button variant="link" onClick={() => set('replaceSecret', true)}>
                  {connection?.clientSecret.set
                    ? __('Replace the secret', 'usersync')
                    : __('Enter a secret', 'usersync')}
                </Button>
              </p>
            </div>
          ) : (
            <TextControl
              {...fieldState(
                errors.clientSecret,
                isNew
                  ? __(
                      'The secret’s Value from Certificates & secrets. It is stored encrypted and never shown again.',
                      'usersync',
                    )
                  : __('The new secret replaces the stored one when you save.', 'usersync'),
              )}
              label={isNew ? __('Client secret', 'usersync') : __('New client secret', 'usersync')}
              type="password"
              value={values.clientSecret}
              autoComplete="new-password"
              onChange={(value) => set('clientSecret', value)}
            />
          )}
        </div>
        <div {...field('cloud')}>
          <SelectControl
            {...fieldState(errors.cloud)}
            label={__('Cloud', 'usersync')}
            value={values.cloud}
            options={[
              { value: 'global', label: __('Global (login.microsoftonline.com)', 'usersync') },
              { value: 'usgov', label: __('US Government (Azure Government)', 'usersync') },
              { value: 'china', label: __('China (operated by 21Vianet)', 'usersync') },
            ]}
            onChange={(value: string) => set('cloud', value as GraphConnectionValues['cloud'])}
          />
        </div>
      </div>
      <ToggleControl
        label={__('Azure AD B2C tenant', 'usersync')}
        help={__(
          'B2C has no change tracking: every run reads the whole directory and writes only what changed. Sign-in names come from the users’ identities.',
          'usersync',
        )}
        checked={values.b2c}
        onChange={(value: boolean) => set('b2c', value)}
      />
      <ToggleControl
        label={__('Profile photos', 'usersync')}
        help={__(
          'Bring users’ photos as their WordPress profile pictures (needs the attribute map’s Profile picture row).',
          'usersync',
        )}
        checked={values.photos}
        onChange={(value: boolean) => set('photos', value)}
      />
      <ToggleControl
        label={__('Enabled', 'usersync')}
        help={__(
          'Off: the schedule does not run this connection; Sync now still does.',
          'usersync',
        )}
        checked={values.enabled}
        onChange={(value: boolean) => set('enabled', value)}
      />
      {formError ? (
        <ErrorNotice
          title={__('The connection could not be saved.', 'usersync')}
          error={formError}
        />
      ) : null}
      <div className="usersync-form-actions">
        <Button variant="primary" type="submit" isBusy={isSaving} aria-disabled={isSaving}>
          {isNew ? __('Add connection', 'usersync') : __('Save connection', 'usersync')}
        </Button>
        <Button variant="tertiary" onClick={onCancel}>
          {__('Cancel', 'usersync')}
        </Button>
      </div>
    </form>
  );
}
