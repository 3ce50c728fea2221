/**
 * Form of a WordPress peer: another site running UserSync. Receiving from it needs only a
 * SCIM token created here; pushing to it needs its SCIM URL and the token it issued to this
 * site, which is write-only here.
 */

/**
 * External dependencies
 */
import type { FormEvent } from 'react';

/**
 * WordPress dependencies
 */
import { Button, TextControl, ToggleControl } from '@wordpress/components';
import { useRef, useState } from '@wordpress/element';
import { __ } from '@wordpress/i18n';

/**
 * Internal dependencies
 */
import { fieldErrors, toApiError } from '../../api';
import type { ApiError, PeerInput } from '../../api';
import ErrorNotice from '../error-notice';
import { fieldState } from '../field-state';
import type { PeerFormProps } from './types';

const SLUG = /^[a-z0-9-]{1,64}$/;
const FIELDS = ['name', 'slug', 'scimUrl', 'token'];

export default function PeerForm({ peer, takenSlugs, onSave, onCancel }: PeerFormProps) {
  const isNew = peer === undefined;
  const [values, setValues] = useState({
    name: peer?.name ?? '',
    slug: peer?.slug ?? '',
    scimUrl: peer?.scimUrl ?? '',
    token: '',
    replaceToken: isNew || !peer?.tokenSet,
    push: peer?.push ?? true,
    roles: peer?.roles ?? true,
    sendPasswords: peer?.sendPasswords ?? false,
    acceptPasswords: peer?.acceptPasswords ?? false,
    includeAdministrators: peer?.includeAdministrators ?? false,
  });
  const [errors, setErrors] = useState<Record<string, string>>({});
  const [formError, setFormError] = useState<ApiError | null>(null);
  const [isSaving, setIsSaving] = useState(false);
  const form = useRef<HTMLFormElement>(null);

  const set = <K extends keyof typeof values>(key: K, value: (typeof values)[K]) => {
    setValues((current) => ({ ...current, [key]: value }));
    setErrors((current) => ({ ...current, [key]: '' }));
  };

  const validate = (): Record<string, string> => {
    const problems: Record<string, string> = {};
    const name = values.name.trim();
    if (name === '' || name.length > 100) {
      problems.name = __('Enter a name of 1 to 100 characters.', 'usersync');
    }
    const slug = values.slug.trim();
    if (!SLUG.test(slug)) {
      problems.slug = __('Use 1 to 64 lowercase letters, digits and hyphens.', 'usersync');
    } else if (slug === 'local') {
      problems.slug = __(
        '“local” names changes made in this site itself; choose another.',
        'usersync',
      );
    } else if (takenSlugs.includes(slug)) {
      problems.slug = __('Another peer has this slug.', 'usersync');
    }
    const url = values.scimUrl.trim();
    if (url !== '' && !/^https?:\/\/[^\s/]+/i.test(url)) {
      problems.scimUrl = __('Enter an http(s) URL ending in /scim/v2.', 'usersync');
    }
    if (values.push) {
      if (url === '') {
        problems.scimUrl = __('Pushing needs the peer’s SCIM URL.', 'usersync');
      }
      const hasToken = values.replaceToken ? values.token.trim() !== '' : Boolean(peer?.tokenSet);
      if (!hasToken) {
        problems.token = __('Pushing needs the token the peer issued to this site.', 'usersync');
      }
    }
    if (values.token.trim() !== '' && /\s/.test(values.token.trim())) {
      problems.token = __('A token has no spaces.', 'usersync');
    }
    return problems;
  };

  const onSubmit = async (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    if (isSaving) {
      return;
    }
    setFormError(null);
    const problems = validate();
    if (Object.keys(problems).length > 0) {
      setErrors(problems);
      const first = FIELDS.find((field) => problems[field]);
      setTimeout(() =>
        form.current?.querySelector<HTMLElement>(`[data-field="${first}"] input`)?.focus(),
      );
      return;
    }
    const input: PeerInput = {
      slug: values.slug.trim(),
      name: values.name.trim(),
      scimUrl: values.scimUrl.trim() === '' ? null : values.scimUrl.trim(),
      push: values.push,
      roles: values.roles,
      sendPasswords: values.sendPasswords,
      acceptPasswords: values.acceptPasswords,
      includeAdministrators: values.includeAdministrators,
    };
    if (values.replaceToken && values.token.trim() !== '') {
      input.token = values.token.trim();
    }
    setIsSaving(true);
    try {
      await onSave(input);
    } catch (failure) {
      const error = toApiError(failure);
      // `peers[3][token]` → `token`.
      const byField: Record<string, string> = {};
      for (const [path, message] of Object.entries(fieldErrors(error))) {
        const field = /\[([A-Za-z]+)\]$/.exec(path)?.[1];
        if (field && FIELDS.includes(field)) {
          byField[field] = message;
        }
      }
      if (Object.keys(byField).length > 0) {
        setErrors(byField);
      } else {
        setFormError(error);
      }
      setIsSaving(false);
    }
  };

  const field = (name: string) => ({ 'data-field': name });

  return (
    <form ref={form} onSubmit={onSubmit} noValidate className="usersync-peer-form">
      <div className="usersync-graph-form__grid">
        <div {...field('name')}>
          <TextControl
            {...fieldState(errors.name)}
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
              __(
                'The connection of the SCIM token you created here for this peer (see SCIM tokens above). Users it sends are linked to it.',
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
        <div {...field('scimUrl')}>
          <TextControl
            {...fieldState(
              errors.scimUrl,
              __(
                'The peer’s SCIM base URL, shown on its Connections tab. Empty when this site only receives from it.',
                'usersync',
              ),
            )}
            label={__('Peer SCIM URL', 'usersync')}
            type="url"
            value={values.scimUrl}
            autoComplete="off"
            spellCheck={false}
            onChange={(value) => set('scimUrl', value)}
          />
        </div>
        <div {...field('token')}>
          {values.replaceToken ? (
            <TextControl
              {...fieldState(
                errors.token,
                __(
                  'A SCIM token the peer created for this site. Stored encrypted, never shown again.',
                  'usersync',
                ),
              )}
              label={
                isNew || !peer?.tokenSet
                  ? __('Peer token', 'usersync')
                  : __('New peer token', 'usersync')
              }
              type="password"
              value={values.token}
              autoComplete="new-password"
              onChange={(value) => set('token', value)}
            />
          ) : (
            <div className="usersync-secret-state">
              <span className="components-base-control__label">{__('Peer token', 'usersync')}</span>
              <p>
                {__('Set. It is stored encrypted and never shown.', 'usersync')}{' '}
                <Button variant="link" onClick={() => set('replaceToken', true)}>
                  {__('Replace the token', 'usersync')}
                </Button>
              </p>
            </div>
          )}
        </div>
      </div>
      <ToggleControl
        label={__('Push this site’s user changes to the peer', 'usersync')}
        help={__(
          'Every create, update, disable and delete here is sent to the peer within seconds.',
          'usersync',
        )}
        checked={values.push}
        onChange={(value: boolean) => set('push', value)}
      />
      <ToggleControl
        label={__('Send roles', 'usersync')}
        help={__(
          'As memberships of groups named after the roles; map those groups on the peer.',
          'usersync',
        )}
        checked={values.roles}
        onChange={(value: boolean) => set('roles', value)}
      />
      <ToggleControl
        label={__('Send password hashes', 'usersync')}
        help={__(
          'Lets users sign in to the peer with the same password. Only the hash travels, never the password.',
          'usersync',
        )}
        checked={values.sendPasswords}
        onChange={(value: boolean) => set('sendPasswords', value)}
      />
      <ToggleControl
        label={__('Accept password hashes from the peer', 'usersync')}
        checked={values.acceptPasswords}
        onChange={(value: boolean) => set('acceptPasswords', value)}
      />
      <ToggleControl
        label={__('Also push administrators', 'usersync')}
        help={__(
          'Off by default: administrators of this site are not created on the peer.',
          'usersync',
        )}
        checked={values.includeAdministrators}
        onChange={(value: boolean) => set('includeAdministrators', value)}
      />
      {formError ? (
        <ErrorNotice title={__('The peer could not be saved.', 'usersync')} error={formError} />
      ) : null}
      <div className="usersync-form-actions">
        <Button variant="primary" type="submit" isBusy={isSaving} aria-disabled={isSaving}>
          {isNew ? __('Add peer', 'usersync') : __('Save peer', 'usersync')}
        </Button>
        <Button variant="tertiary" onClick={onCancel}>
          {__('Cancel', 'usersync')}
        </Button>
      </div>
    </form>
  );
}
