/**
 * Form of a WordPress peer: another site running UserSync. Receiving from it needs only a
 * SCIM token created here; pushing to it needs its SCIM URL and the token it issued to this
 * site, which is write-only here.
 */

/**
 * WordPress dependencies
 */
import { __ } from '@wordpress/i18n';

/**
 * Internal dependencies
 */
import { fieldErrors } from '../../api';
import type { ApiError, PeerInput } from '../../api';
import ConnectionField from '../connection-field';
import ConnectionForm, { useConnectionForm } from '../connection-form';
import SecretField from '../secret-field';
import type { PeerFormProps, PeerValues } from './types';

const SLUG = /^[a-z0-9-]{1,64}$/;
const FIELDS = ['name', 'slug', 'scimUrl', 'token'];

/** The plugin names fields by their path in the peer list: `peers[3][token]` → `token`. */
function serverErrors(error: ApiError): Record<string, string> {
  const byField: Record<string, string> = {};
  for (const [path, message] of Object.entries(fieldErrors(error))) {
    const field = /\[([A-Za-z]+)\]$/.exec(path)?.[1];
    if (field) {
      byField[field] = message;
    }
  }
  return byField;
}

export default function PeerForm({ peer, takenSlugs, onSave, onCancel }: PeerFormProps) {
  const isNew = peer === undefined;

  const validate = (values: PeerValues): Record<string, string> => {
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

  const form = useConnectionForm<PeerValues, PeerInput>({
    initial: {
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
    },
    fields: FIELDS,
    validate,
    toInput: (values) => {
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
      return input;
    },
    onSave,
    serverErrors,
  });
  const { values, set, bind } = form;

  return (
    <ConnectionForm
      state={form}
      className="usersync-peer-form"
      errorTitle={__('The peer could not be saved.', 'usersync')}
      submitLabel={isNew ? __('Add peer', 'usersync') : __('Save peer', 'usersync')}
      onCancel={onCancel}
      toggles={[
        {
          name: 'push',
          label: __('Push this site’s user changes to the peer', 'usersync'),
          help: __(
            'Every create, update, disable and delete here is sent to the peer within seconds.',
            'usersync',
          ),
        },
        {
          name: 'roles',
          label: __('Send roles', 'usersync'),
          help: __(
            'As memberships of groups named after the roles; map those groups on the peer.',
            'usersync',
          ),
        },
        {
          name: 'sendPasswords',
          label: __('Send password hashes', 'usersync'),
          help: __(
            'Lets users sign in to the peer with the same password. Only the hash travels, never the password.',
            'usersync',
          ),
        },
        { name: 'acceptPasswords', label: __('Accept password hashes from the peer', 'usersync') },
        {
          name: 'includeAdministrators',
          label: __('Also push administrators', 'usersync'),
          help: __(
            'Off by default: administrators of this site are not created on the peer.',
            'usersync',
          ),
        },
      ]}
      fields={
        <>
          <ConnectionField {...bind('name')} label={__('Name', 'usersync')} />
          <ConnectionField
            {...bind('slug')}
            help={__(
              'The connection of the SCIM token you created here for this peer (see SCIM tokens above). Users it sends are linked to it.',
              'usersync',
            )}
            label={__('Connection slug', 'usersync')}
            readOnly={!isNew}
            spellCheck={false}
          />
          <ConnectionField
            {...bind('scimUrl')}
            help={__(
              'The peer’s SCIM base URL, shown on its Connections tab. Empty when this site only receives from it.',
              'usersync',
            )}
            label={__('Peer SCIM URL', 'usersync')}
            type="url"
            spellCheck={false}
          />
          <SecretField
            {...bind('token')}
            isEditing={values.replaceToken}
            label={__('Peer token', 'usersync')}
            inputLabel={isNew || !peer?.tokenSet ? undefined : __('New peer token', 'usersync')}
            status={__('Set. It is stored encrypted and never shown.', 'usersync')}
            editLabel={__('Replace the token', 'usersync')}
            onEdit={() => set('replaceToken', true)}
            help={__(
              'A SCIM token the peer created for this site. Stored encrypted, never shown again.',
              'usersync',
            )}
          />
        </>
      }
    ></ConnectionForm>
  );
}
