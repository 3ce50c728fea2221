/**
 * Form of a Salesforce connection: the connected app and how the sidecar signs in (client
 * credentials on the org's My Domain, JWT bearer with a private key, or a refresh token —
 * only the chosen flow's fields are shown), the API version, push on or off, and the object
 * map of WordPress users: the Salesforce object, a filter, who may create, update and
 * delete, how records are matched, what a delete does, who wins a conflict, and the field
 * map. Secrets are write-only: once stored, the form says so and offers to replace them.
 *
 * Once the connection is saved, the objects and their fields come from the org (through the
 * plugin's relay); Salesforce's required-on-create fields must then be mapped before a save.
 */

/**
 * WordPress dependencies
 */
import { CheckboxControl, Notice, SelectControl, ToggleControl } from '@wordpress/components';
import { useEffect, useState } from '@wordpress/element';
import { __, sprintf } from '@wordpress/i18n';

/**
 * Internal dependencies
 */
import {
  describeSalesforceObject,
  fieldErrors,
  listSalesforceObjects,
  toApiError,
} from '../../api';
import type {
  ApiError,
  SalesforceConnectionInput,
  SalesforceDescribe,
  SalesforceObjectSummary,
} from '../../api';
import ConnectionField from '../connection-field';
import ConnectionForm, { useConnectionForm } from '../connection-form';
import ErrorNotice from '../error-notice';
import { fieldState } from '../field-state';
import SalesforceFieldMap from '../salesforce-field-map';
import SecretField from '../secret-field';
import type {
  SalesforceConnectionFormProps,
  SalesforceFormValues,
  SalesforceSecret,
} from './types';
import { missingRequiredFields, validateSalesforceConnection } from './validate';
import { MAP_PATH, initialValues, isEditingSecret, replaceKey, secretsOf, toInput } from './values';

/** Offered before the org can be asked (a new connection) or when asking it failed. */
const STANDARD_OBJECTS = ['Contact', 'Lead', 'Account'];

const SECRET_TEXT: Record<SalesforceSecret, { label: string; help: string }> = {
  clientSecret: {
    label: __('Consumer secret', 'usersync'),
    help: __('From the connected app’s Manage Consumer Details.', 'usersync'),
  },
  privateKey: {
    label: __('Private key (PEM)', 'usersync'),
    help: __(
      'The unencrypted RSA private key whose certificate is uploaded to the connected app (Use digital signatures).',
      'usersync',
    ),
  },
  refreshToken: {
    label: __('Refresh token', 'usersync'),
    help: __('A refresh token issued to the connected app for the integration user.', 'usersync'),
  },
};

/** The plugin names the field at fault; a taken slug is the slug's problem. */
function serverErrors(error: ApiError): Record<string, string> {
  const byField = fieldErrors(error);
  if (error.code === 'usersync_connection_exists') {
    byField.slug = error.message;
  }
  return byField;
}

interface Described {
  object: string;
  describe?: SalesforceDescribe;
  error?: ApiError;
}

/** The fields of the object when its describe has arrived. */
function describedFieldsOf(described: Described | null, object: string) {
  return described?.describe && described.object === object.trim()
    ? described.describe.fields
    : undefined;
}

/** Every field that shows its own error, in page order (rows: as many as a map may have). */
const FIELD_ORDER = [
  'name',
  'slug',
  'loginUrl',
  'flow',
  'clientId',
  'username',
  'clientSecret',
  'privateKey',
  'refreshToken',
  'apiVersion',
  `${MAP_PATH}[sfObject]`,
  `${MAP_PATH}[id]`,
  `${MAP_PATH}[recordTypeId]`,
  `${MAP_PATH}[filter]`,
  `${MAP_PATH}[match][0][sf]`,
  `${MAP_PATH}[fields]`,
  ...Array.from({ length: 100 }, (_, index) =>
    ['wp', 'sf', 'direction', 'transform', 'default', 'nulls', 'template', 'valueMap'].map(
      (key) => `${MAP_PATH}[fields][${index}][${key}]`,
    ),
  ).flat(),
];

export default function SalesforceConnectionForm({
  connection,
  onSave,
  onCancel,
}: SalesforceConnectionFormProps) {
  const isNew = connection === undefined;
  const [objects, setObjects] = useState<{ list?: SalesforceObjectSummary[]; error?: ApiError }>(
    {},
  );
  const [described, setDescribed] = useState<Described | null>(null);

  const form = useConnectionForm<SalesforceFormValues, SalesforceConnectionInput>({
    initial: initialValues(connection),
    fields: FIELD_ORDER,
    validate: (values) =>
      validateSalesforceConnection(
        values,
        connection,
        describedFieldsOf(described, values.sfObject),
      ),
    toInput: (values) => toInput(values, connection),
    onSave,
    serverErrors,
  });
  const { values, set, bind, errors } = form;

  // The org's objects and the chosen object's fields, once the connection exists.
  const slug = connection?.slug;
  useEffect(() => {
    if (!slug) {
      return;
    }
    let live = true;
    listSalesforceObjects(slug).then(
      (list) => live && setObjects({ list }),
      (failure: unknown) => live && setObjects({ error: toApiError(failure) }),
    );
    return () => {
      live = false;
    };
  }, [slug]);
  const object = values.sfObject.trim();
  useEffect(() => {
    if (!slug || object === '') {
      setDescribed(null);
      return;
    }
    let live = true;
    setDescribed({ object });
    describeSalesforceObject(slug, object).then(
      (describe) => live && setDescribed({ object, describe }),
      (failure: unknown) => live && setDescribed({ object, error: toApiError(failure) }),
    );
    return () => {
      live = false;
    };
  }, [slug, object]);

  const objectOptions = (
    objects.list
      ? objects.list
          .filter((item) => item.queryable)
          .map((item) => ({
            value: item.name,
            label: `${item.label} (${item.name})`,
          }))
      : STANDARD_OBJECTS.map((name) => ({ value: name, label: name }))
  ).concat(
    // The stored object stays choosable even when the org's list lacks it.
    (objects.list ? objects.list.map((item) => item.name) : STANDARD_OBJECTS).includes(object)
      ? []
      : [{ value: object, label: object }],
  );

  const fieldsForPicker = describedFieldsOf(described, object);
  const recordTypes =
    described?.describe && described.object === object ? described.describe.recordTypes : [];
  const missing = values.createPush ? missingRequiredFields(values.fields, fieldsForPicker) : [];

  const secretField = (secret: SalesforceSecret) => {
    const stored = connection?.[secret].set ?? false;
    const text = SECRET_TEXT[secret];
    return (
      <SecretField
        key={secret}
        {...bind(secret)}
        isEditing={isEditingSecret(values, secret, connection)}
        label={text.label}
        inputLabel={
          stored
            ? sprintf(
                /* translators: %s: secret name, e.g. Consumer secret. */
                __('New %s', 'usersync'),
                text.label.toLowerCase(),
              )
            : undefined
        }
        status={__('Stored. It is kept encrypted and never shown.', 'usersync')}
        editLabel={__('Replace', 'usersync')}
        onEdit={() => set(replaceKey(secret), true)}
        help={stored ? __('Replaces the stored one when you save.', 'usersync') : text.help}
      />
    );
  };

  const operation = (
    label: string,
    push: 'createPush' | 'updatePush' | 'deletePush',
    pull: 'createPull' | 'updatePull' | 'deletePull',
  ) => (
    <fieldset className="usersync-salesforce-operation">
      <legend>{label}</legend>
      <CheckboxControl
        label={__('From WordPress to Salesforce', 'usersync')}
        checked={values[push]}
        onChange={(checked: boolean) => set(push, checked)}
      />
      <CheckboxControl
        label={__('From Salesforce to WordPress', 'usersync')}
        checked={values[pull]}
        onChange={(checked: boolean) => set(pull, checked)}
      />
    </fieldset>
  );

  return (
    <ConnectionForm
      state={form}
      className="usersync-graph-form usersync-salesforce-form"
      errorTitle={__('The connection could not be saved.', 'usersync')}
      submitLabel={isNew ? __('Add connection', 'usersync') : __('Save connection', 'usersync')}
      onCancel={onCancel}
      toggles={[
        {
          name: 'push',
          label: __('Push WordPress changes to Salesforce', 'usersync'),
          help: __('Off: nothing is written to Salesforce; pulls still run.', 'usersync'),
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
                    'Optional. Names the identity links of the records this connection syncs; derived from the name when empty. It cannot change later.',
                    'usersync',
                  )
                : __(
                    'Names the identity links of this connection’s records; it cannot change.',
                    'usersync',
                  )
            }
            label={__('Connection slug', 'usersync')}
            readOnly={!isNew}
            spellCheck={false}
          />
          <ConnectionField
            {...bind('loginUrl')}
            help={__(
              'Your org’s My Domain URL (https://acme.my.salesforce.com), or https://login.salesforce.com / https://test.salesforce.com for the JWT and refresh token flows.',
              'usersync',
            )}
            label={__('Login or My Domain URL', 'usersync')}
            spellCheck={false}
          />
          <div data-field="flow">
            <SelectControl
              {...fieldState(errors.flow)}
              label={__('Sign-in flow', 'usersync')}
              value={values.flow}
              options={[
                { value: 'client_credentials', label: __('Client credentials', 'usersync') },
                { value: 'jwt', label: __('JWT bearer', 'usersync') },
                { value: 'refresh_token', label: __('Refresh token', 'usersync') },
              ]}
              onChange={(value: string) => set('flow', value as SalesforceFormValues['flow'])}
            />
          </div>
          <ConnectionField
            {...bind('clientId')}
            help={__('Consumer key of the connected app.', 'usersync')}
            label={__('Consumer key', 'usersync')}
            spellCheck={false}
          />
          {values.flow === 'jwt' ? (
            <ConnectionField
              {...bind('username')}
              help={__('The Salesforce user the sidecar signs in as.', 'usersync')}
              label={__('Username', 'usersync')}
              spellCheck={false}
            />
          ) : null}
          {secretsOf(values.flow).map(secretField)}
          <ConnectionField
            {...bind('apiVersion')}
            help={__(
              'The REST API version, e.g. 62.0. Test connection checks the org offers it.',
              'usersync',
            )}
            label={__('API version', 'usersync')}
            spellCheck={false}
          />
        </>
      }
    >
      <section
        className="usersync-salesforce-map"
        aria-label={__('WordPress users in Salesforce', 'usersync')}
      >
        <h4>{__('WordPress users in Salesforce', 'usersync')}</h4>
        <div className="usersync-graph-form__grid">
          <div data-field={`${MAP_PATH}[sfObject]`}>
            <SelectControl
              {...fieldState(
                errors[`${MAP_PATH}[sfObject]`],
                isNew
                  ? __('Save the connection to choose from all of your org’s objects.', 'usersync')
                  : undefined,
              )}
              label={__('Salesforce object', 'usersync')}
              value={values.sfObject}
              options={objectOptions}
              onChange={(value: string) => set('sfObject', value)}
            />
          </div>
          <ConnectionField
            {...bind('mapId')}
            name={`${MAP_PATH}[id]`}
            error={errors[`${MAP_PATH}[id]`]}
            help={__(
              'Names this map’s sync position; keep it once runs have happened.',
              'usersync',
            )}
            label={__('Object map id', 'usersync')}
            readOnly={!isNew && connection?.objectMaps[0] !== undefined}
            spellCheck={false}
          />
          {recordTypes.length > 0 || values.recordTypeId !== '' ? (
            <div data-field={`${MAP_PATH}[recordTypeId]`}>
              <SelectControl
                {...fieldState(errors[`${MAP_PATH}[recordTypeId]`])}
                label={__('Record type', 'usersync')}
                value={values.recordTypeId}
                options={[
                  { value: '', label: __('Any (new records get the default)', 'usersync') },
                  ...recordTypes.map((type) => ({
                    value: type.id,
                    label: type.default
                      ? sprintf(
                          /* translators: %s: record type name. */
                          __('%s (default)', 'usersync'),
                          type.name,
                        )
                      : type.name,
                  })),
                  ...(values.recordTypeId !== '' &&
                  !recordTypes.some((type) => type.id === values.recordTypeId)
                    ? [{ value: values.recordTypeId, label: values.recordTypeId }]
                    : []),
                ]}
                onChange={(value: string) => set('recordTypeId', value)}
              />
            </div>
          ) : null}
          <ConnectionField
            {...bind('filter')}
            name={`${MAP_PATH}[filter]`}
            error={errors[`${MAP_PATH}[filter]`]}
            help={__(
              "Optional SOQL condition, e.g. LeadSource = 'Web'. Only matching records are pulled.",
              'usersync',
            )}
            label={__('Filter', 'usersync')}
            spellCheck={false}
          />
        </div>
        {objects.error ? (
          <ErrorNotice
            title={__(
              'The org’s objects could not be read; the standard ones are offered.',
              'usersync',
            )}
            error={objects.error}
          />
        ) : null}
        {described?.error && described.object === object ? (
          <ErrorNotice
            title={sprintf(
              /* translators: %s: Salesforce object. */
              __('The fields of %s could not be read; type their API names.', 'usersync'),
              object,
            )}
            error={described.error}
          />
        ) : null}
        <div className="usersync-salesforce-operations">
          {operation(__('Create records', 'usersync'), 'createPush', 'createPull')}
          {operation(__('Update records', 'usersync'), 'updatePush', 'updatePull')}
          {operation(__('Delete records', 'usersync'), 'deletePush', 'deletePull')}
        </div>
        <div className="usersync-graph-form__grid">
          <ConnectionField
            {...bind('externalIdField')}
            name={`${MAP_PATH}[match][0][sf]`}
            error={errors[`${MAP_PATH}[match][0][sf]`]}
            help={__(
              'Optional. An External ID field of the object, e.g. UserSync_Id__c: records are upserted by it.',
              'usersync',
            )}
            label={__('External ID field', 'usersync')}
            spellCheck={false}
          />
          <div>
            <ToggleControl
              label={__('Match existing records by a field', 'usersync')}
              checked={values.lookup}
              onChange={(checked: boolean) => set('lookup', checked)}
              help={__(
                'More than one match is a conflict in the run report, never a new record.',
                'usersync',
              )}
            />
            {values.lookup ? (
              <>
                <ConnectionField
                  {...bind('lookupSf')}
                  label={__('Salesforce match field', 'usersync')}
                  spellCheck={false}
                />
                <ConnectionField
                  {...bind('lookupWp')}
                  label={__('WordPress match field', 'usersync')}
                  spellCheck={false}
                />
              </>
            ) : null}
          </div>
          <SelectControl
            label={__('Deleted in Salesforce', 'usersync')}
            value={values.deletePolicyPull}
            options={[
              { value: 'disable', label: __('Disable the WordPress user', 'usersync') },
              { value: 'delete', label: __('Delete the WordPress user', 'usersync') },
              { value: 'ignore', label: __('Keep the WordPress user', 'usersync') },
            ]}
            onChange={(value: string) =>
              set('deletePolicyPull', value as SalesforceFormValues['deletePolicyPull'])
            }
          />
          <SelectControl
            label={__('Deleted in WordPress', 'usersync')}
            value={values.deletePolicyPush}
            options={[
              { value: 'ignore', label: __('Keep the Salesforce record', 'usersync') },
              { value: 'delete', label: __('Delete the Salesforce record', 'usersync') },
            ]}
            onChange={(value: string) =>
              set('deletePolicyPush', value as SalesforceFormValues['deletePolicyPush'])
            }
          />
          <SelectControl
            label={__('When both sides changed', 'usersync')}
            value={values.conflict}
            options={[
              { value: 'last-writer-wins', label: __('The latest change wins', 'usersync') },
              { value: 'wordpress-wins', label: __('WordPress wins', 'usersync') },
              { value: 'salesforce-wins', label: __('Salesforce wins', 'usersync') },
            ]}
            onChange={(value: string) => set('conflict', value as SalesforceFormValues['conflict'])}
          />
        </div>
        {described && !described.describe && !described.error && described.object === object ? (
          <Notice status="info" isDismissible={false}>
            {sprintf(
              /* translators: %s: Salesforce object. */
              __('Reading the fields of %s…', 'usersync'),
              object,
            )}
          </Notice>
        ) : null}
        <SalesforceFieldMap
          rows={values.fields}
          onChange={(rows) => set('fields', rows)}
          describedFields={fieldsForPicker}
          errors={errors}
          path={`${MAP_PATH}[fields]`}
          missingRequired={missing}
        />
      </section>
    </ConnectionForm>
  );
}
