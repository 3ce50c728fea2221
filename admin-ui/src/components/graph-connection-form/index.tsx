/**
 * Form of a Microsoft Entra ID or Azure AD B2C connection: the app registration (tenant,
 * client id, client secret), the cloud, B2C, photos, and advanced settings (endpoint
 * overrides, page size, parallel requests). The secret is write-only: once stored, the form
 * says so and offers to replace it; it is never shown or sent back.
 */

/**
 * WordPress dependencies
 */
import { SelectControl } from '@wordpress/components';
import { useState } from '@wordpress/element';
import { __ } from '@wordpress/i18n';

/**
 * Internal dependencies
 */
import { fieldErrors } from '../../api';
import type { ApiError, ConnectionInput } from '../../api';
import ConnectionField from '../connection-field';
import ConnectionForm, { useConnectionForm } from '../connection-form';
import { fieldState } from '../field-state';
import GraphAdvancedSettings from '../graph-advanced-settings';
import SecretField from '../secret-field';
import type { GraphConnectionFormProps, GraphConnectionValues } from './types';
import { validateGraphAdvanced, validateGraphConnection } from './validate';

const ADVANCED_FIELDS = ['authorityUrl', 'graphUrl', 'pageSize', 'concurrency'] as const;
const FIELD_ORDER = [
  'name',
  'slug',
  'tenantId',
  'clientId',
  'clientSecret',
  'cloud',
  ...ADVANCED_FIELDS,
];

/** The plugin names the field at fault; a taken slug is the slug's problem. */
function serverErrors(error: ApiError): Record<string, string> {
  const byField = fieldErrors(error);
  if (error.code === 'usersync_connection_exists') {
    byField.slug = error.message;
  }
  return byField;
}

export default function GraphConnectionForm({
  connection,
  onSave,
  onCancel,
}: GraphConnectionFormProps) {
  const isNew = connection === undefined;
  const [isAdvancedOpen, setIsAdvancedOpen] = useState(false);
  const form = useConnectionForm<GraphConnectionValues, ConnectionInput>({
    initial: {
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
      authorityUrl: connection?.authorityUrl ?? '',
      graphUrl: connection?.graphUrl ?? '',
      pageSize: String(connection?.pageSize ?? 500),
      concurrency: String(connection?.concurrency ?? 4),
    },
    fields: FIELD_ORDER,
    validate: (values) => validateGraphConnection(values, isNew),
    toInput: (values) => {
      const input: ConnectionInput = {
        name: values.name.trim(),
        tenantId: values.tenantId.trim(),
        clientId: values.clientId.trim(),
        cloud: values.cloud,
        b2c: values.b2c,
        photos: values.photos,
        enabled: values.enabled,
        authorityUrl: values.authorityUrl.trim() === '' ? null : values.authorityUrl.trim(),
        graphUrl: values.graphUrl.trim() === '' ? null : values.graphUrl.trim(),
        pageSize: Number(values.pageSize.trim()),
        concurrency: Number(values.concurrency.trim()),
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
      return input;
    },
    onSave,
    serverErrors,
    // A field at fault in the closed advanced section must be seen.
    onInvalid: (errors) => {
      if (ADVANCED_FIELDS.some((field) => errors[field])) {
        setIsAdvancedOpen(true);
      }
    },
  });
  const { values, set, bind, errors } = form;
  // The advanced settings are checked as they are typed; a saved refusal shows first.
  const advancedProblems = validateGraphAdvanced(values);
  const advancedErrors = Object.fromEntries(
    ADVANCED_FIELDS.map((field) => [field, errors[field] || advancedProblems[field]]),
  );

  return (
    <ConnectionForm
      state={form}
      className="usersync-graph-form"
      errorTitle={__('The connection could not be saved.', 'usersync')}
      submitLabel={isNew ? __('Add connection', 'usersync') : __('Save connection', 'usersync')}
      onCancel={onCancel}
      toggles={[
        {
          name: 'b2c',
          label: __('Azure AD B2C tenant', 'usersync'),
          help: __(
            'B2C has no change tracking: every run reads the whole directory and writes only what changed. Sign-in names come from the users’ identities.',
            'usersync',
          ),
        },
        {
          name: 'photos',
          label: __('Profile photos', 'usersync'),
          help: __(
            'Bring users’ photos as their WordPress profile pictures (needs the attribute map’s Profile picture row). Not read from B2C tenants, which have no profile photos. Microsoft Graph does not report a change that touches only a photo: a daily photo check (04:00, sidecar time) brings new, changed and removed photos, so they can take up to a day to appear.',
            'usersync',
          ),
        },
        {
          name: 'enabled',
          label: __('Enabled', 'usersync'),
          help: __(
            'Off: the schedule does not run this connection; Sync now still does.',
            'usersync',
          ),
        },
      ]}
      fields={
        <>
          <ConnectionField
            {...bind('name')}
            help={__('Shown in this screen and in the audit log.', 'usersync')}
            label={__('Name', 'usersync')}
          />
          <ConnectionField
            {...bind('slug')}
            help={
              isNew
                ? __(
                    'Optional. Names the identity links of the users this connection brings; derived from the name when empty. It cannot change later.',
                    'usersync',
                  )
                : __(
                    'Names the identity links of this connection’s users; it cannot change.',
                    'usersync',
                  )
            }
            label={__('Connection slug', 'usersync')}
            readOnly={!isNew}
            spellCheck={false}
          />
          <ConnectionField
            {...bind('tenantId')}
            help={__(
              'Directory (tenant) ID or a verified domain, from the app registration’s Overview.',
              'usersync',
            )}
            label={__('Tenant ID', 'usersync')}
            spellCheck={false}
          />
          <ConnectionField
            {...bind('clientId')}
            help={__('Application (client) ID of the app registration.', 'usersync')}
            label={__('Client ID', 'usersync')}
            spellCheck={false}
          />
          <SecretField
            {...bind('clientSecret')}
            isEditing={isNew || values.replaceSecret}
            label={__('Client secret', 'usersync')}
            inputLabel={isNew ? undefined : __('New client secret', 'usersync')}
            status={
              connection?.clientSecret.set
                ? __('Set. It is stored encrypted and never shown.', 'usersync')
                : __('Not set: runs cannot sign in.', 'usersync')
            }
            editLabel={
              connection?.clientSecret.set
                ? __('Replace the secret', 'usersync')
                : __('Enter a secret', 'usersync')
            }
            onEdit={() => set('replaceSecret', true)}
            help={
              isNew
                ? __(
                    'The secret’s Value from Certificates & secrets. It is stored encrypted and never shown again.',
                    'usersync',
                  )
                : __('The new secret replaces the stored one when you save.', 'usersync')
            }
          />
          <div data-field="cloud">
            <SelectControl
              {...fieldState(errors.cloud)}
              label={__('Cloud', 'usersync')}
              value={values.cloud}
              options={[
                { value: 'global', label: __('Global (login.microsoftonline.com)', 'usersync') },
                { value: 'usgov', label: __('US Government (Azure Government)', 'usersync') },
                { value: 'usgovdod', label: __('US Government DoD', 'usersync') },
                { value: 'china', label: __('China (operated by 21Vianet)', 'usersync') },
              ]}
              onChange={(value: string) => set('cloud', value as GraphConnectionValues['cloud'])}
            />
          </div>
        </>
      }
    >
      <GraphAdvancedSettings
        values={values}
        errors={advancedErrors}
        onChange={set}
        isOpen={isAdvancedOpen}
        onToggle={setIsAdvancedOpen}
      />
    </ConnectionForm>
  );
}
