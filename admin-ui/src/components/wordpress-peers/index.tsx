/**
 * WordPress peers: other sites running UserSync that this site pushes users to over SCIM,
 * or receives users from. Kept in the configuration (`peers`), tokens write-only.
 */

/**
 * WordPress dependencies
 */
import { __, sprintf } from '@wordpress/i18n';

/**
 * Internal dependencies
 */
import { ApiError, getConfig, saveConfig, toApiError } from '../../api';
import type { Peer, PeerInput } from '../../api';
import { useRequest } from '../../hooks/use-request';
import ConnectionList from '../connection-list';
import PeerForm from '../peer-form';
import type { WordPressPeersProps } from './types';

/** A stored peer as sent back unchanged (its token kept). */
function asInput(peer: Peer): PeerInput {
  return {
    slug: peer.slug,
    name: peer.name,
    scimUrl: peer.scimUrl,
    push: peer.push,
    roles: peer.roles,
    sendPasswords: peer.sendPasswords,
    acceptPasswords: peer.acceptPasswords,
    includeAdministrators: peer.includeAdministrators,
  };
}

export default function WordPressPeers({ scimUrl }: WordPressPeersProps) {
  const { data: config, error, reload, setData } = useRequest(getConfig);
  const peers = config?.peers ?? [];

  const save = async (list: PeerInput[]) => {
    const stored = await saveConfig({ peers: list as unknown as Peer[] });
    setData(() => stored);
  };

  /** Saves the peer at `index` (-1: a new one). */
  const onSave = async (index: number, input: PeerInput) => {
    const list = peers.map(asInput);
    if (index === -1) {
      list.push(input);
    } else {
      list[index] = input;
    }
    try {
      await save(list);
    } catch (failure) {
      // Errors name `peers[<index>]…`: only this peer's belong next to this form's fields.
      const error = toApiError(failure);
      const own = `peers[${index === -1 ? list.length - 1 : index}]`;
      const params = Object.fromEntries(
        Object.entries(error.params).filter(([path]) => path.startsWith(own)),
      );
      throw new ApiError(error.message, error.code, error.status, params);
    }
  };

  const onRemove = async (peer: Peer) => {
    await save(peers.filter((item) => item.slug !== peer.slug).map(asInput));
    return sprintf(
      /* translators: %s: peer name. */
      __('Peer “%s” removed.', 'usersync'),
      peer.name,
    );
  };

  return (
    <ConnectionList<Peer>
      title={__('WordPress peers', 'usersync')}
      items={config ? peers : undefined}
      loadError={error}
      onRetry={reload}
      loadingLabel={__('Loading peers…', 'usersync')}
      loadErrorTitle={__('The peers could not be loaded.', 'usersync')}
      intro={
        <p>
          {__(
            'To receive users from another WordPress site: create a SCIM token above and enter it, with this site’s SCIM URL, as a peer on that site. To push users to it: add it here with its SCIM URL and a token it created for this site.',
            'usersync',
          )}
          {scimUrl ? (
            <>
              {' '}
              {__('This site’s SCIM URL:', 'usersync')} <code>{scimUrl}</code>
            </>
          ) : null}
        </p>
      }
      emptyText={__('No peers yet.', 'usersync')}
      keyOf={(peer) => peer.slug}
      nameOf={(peer) => peer.name}
      details={(peer) => [
        {
          key: 'slug',
          label: __('Connection slug', 'usersync'),
          value: <code>{peer.slug}</code>,
        },
        {
          key: 'url',
          label: __('Peer SCIM URL', 'usersync'),
          value: peer.scimUrl ? <code>{peer.scimUrl}</code> : __('None: receive only', 'usersync'),
        },
        {
          key: 'token',
          label: __('Peer token', 'usersync'),
          value: peer.tokenSet ? __('Set', 'usersync') : __('Not set', 'usersync'),
        },
        {
          key: 'push',
          label: __('Pushes changes', 'usersync'),
          value: peer.push ? __('Yes', 'usersync') : __('No', 'usersync'),
        },
        {
          key: 'passwords',
          label: __('Password hashes', 'usersync'),
          value:
            [
              peer.sendPasswords ? __('sent', 'usersync') : null,
              peer.acceptPasswords ? __('accepted', 'usersync') : null,
            ]
              .filter(Boolean)
              .join(', ') || __('Neither sent nor accepted', 'usersync'),
        },
      ]}
      renderForm={(peer, { onSaved, onCancel }) => (
        <PeerForm
          peer={peer}
          takenSlugs={peers.filter((other) => other.slug !== peer?.slug).map((other) => other.slug)}
          onSave={async (input) => {
            await onSave(peer ? peers.findIndex((other) => other.slug === peer.slug) : -1, input);
            onSaved(
              sprintf(
                /* translators: %s: peer name. */
                __('Peer “%s” saved.', 'usersync'),
                input.name,
              ),
            );
          }}
          onCancel={onCancel}
        />
      )}
      editLabel={(name) =>
        sprintf(
          /* translators: %s: peer name. */
          __('Edit peer “%s”', 'usersync'),
          name,
        )
      }
      remove={{
        label: __('Remove', 'usersync'),
        ariaLabel: (name) =>
          sprintf(
            /* translators: %s: peer name. */
            __('Remove peer “%s”', 'usersync'),
            name,
          ),
        title: (name) =>
          sprintf(
            /* translators: %s: peer name. */
            __('Remove the peer “%s”?', 'usersync'),
            name,
          ),
        message: __(
          'Changes are no longer pushed to it and its stored token is deleted. Users it created here stay. Revoke its SCIM token above to stop it writing here.',
          'usersync',
        ),
        confirmLabel: __('Remove peer', 'usersync'),
        onConfirm: onRemove,
      }}
      newLabel={__('New peer', 'usersync')}
      newHeading={__('New WordPress peer', 'usersync')}
      addLabel={__('Add a WordPress peer', 'usersync')}
    />
  );
}
