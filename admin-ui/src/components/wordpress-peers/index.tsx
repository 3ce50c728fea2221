/**
 * WordPress peers: other sites running UserSync that this site pushes users to over SCIM,
 * or receives users from. Kept in the configuration (`peers`), tokens write-only.
 */

/**
 * WordPress dependencies
 */
import { Button, Card, CardBody, CardHeader, Notice } from '@wordpress/components';
import { useState } from '@wordpress/element';
import { __, sprintf } from '@wordpress/i18n';

/**
 * Internal dependencies
 */
import { ApiError, getConfig, saveConfig, toApiError } from '../../api';
import type { Peer, PeerInput } from '../../api';
import { useRequest } from '../../hooks/use-request';
import ConfirmButton from '../confirm-button';
import DetailList from '../detail-list';
import ErrorNotice from '../error-notice';
import LoadingState from '../loading-state';
import PeerForm from '../peer-form';
import type { WordPressPeersProps } from './types';

/** A stored peer as sent back unchanged (its token kept). */
function asInput(peer: Peer): PeerInput {
  const {
    slug,
    name,
    scimUrl,
    push,
    roles,
    sendPasswords,
    acceptPasswords,
    includeAdministrators,
  } = peer;
  return {
    slug,
    name,
    scimUrl,
    push,
    roles,
    sendPasswords,
    acceptPasswords,
    includeAdministrators,
  };
}

export default function WordPressPeers({ scimUrl }: WordPressPeersProps) {
  const { data: config, error, reload, setData } = useRequest(getConfig);
  const [editing, setEditing] = useState<string | null>(null);
  const [message, setMessage] = useState<string | null>(null);
  const peers = config?.peers ?? [];

  const save = async (list: PeerInput[]) => {
    const stored = await saveConfig({ peers: list as unknown as Peer[] });
    setData(() => stored);
  };

  const onSave = (index: number) => async (input: PeerInput) => {
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
    setEditing(null);
    setMessage(
      sprintf(
        /* translators: %s: peer name. */
        __('Peer “%s” saved.', 'usersync'),
        input.name,
      ),
    );
  };

  const onRemove = (peer: Peer) => async () => {
    await save(peers.filter((item) => item.slug !== peer.slug).map(asInput));
    setMessage(
      sprintf(
        /* translators: %s: peer name. */
        __('Peer “%s” removed.', 'usersync'),
        peer.name,
      ),
    );
  };

  let body;
  if (!config) {
    body = error ? (
      <ErrorNotice
        title={__('The peers could not be loaded.', 'usersync')}
        error={error}
        onRetry={reload}
      />
    ) : (
      <LoadingState label={__('Loading peers…', 'usersync')} />
    );
  } else {
    body = (
      <>
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
        {peers.length === 0 && editing !== 'new' ? (
          <p className="usersync-empty">{__('No peers yet.', 'usersync')}</p>
        ) : null}
        {peers.map((peer, index) => (
          <section key={peer.slug} className="usersync-connection" aria-label={peer.name}>
            <h3>{peer.name}</h3>
            {editing === peer.slug ? (
              <PeerForm
                peer={peer}
                takenSlugs={peers
                  .filter((other) => other.slug !== peer.slug)
                  .map((other) => other.slug)}
                onSave={onSave(index)}
                onCancel={() => setEditing(null)}
              />
            ) : (
              <>
                <DetailList
                  items={[
                    {
                      key: 'slug',
                      label: __('Connection slug', 'usersync'),
                      value: <code>{peer.slug}</code>,
                    },
                    {
                      key: 'url',
                      label: __('Peer SCIM URL', 'usersync'),
                      value: peer.scimUrl ? (
                        <code>{peer.scimUrl}</code>
                      ) : (
                        __('None: receive only', 'usersync')
                      ),
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
                />
                <div className="usersync-form-actions">
                  <Button
                    variant="secondary"
                    aria-label={sprintf(
                      /* translators: %s: peer name. */
                      __('Edit peer “%s”', 'usersync'),
                      peer.name,
                    )}
                    onClick={() => setEditing(peer.slug)}
                  >
                    {__('Edit', 'usersync')}
                  </Button>
                  <ConfirmButton
                    label={__('Remove', 'usersync')}
                    ariaLabel={sprintf(
                      /* translators: %s: peer name. */
                      __('Remove peer “%s”', 'usersync'),
                      peer.name,
                    )}
                    title={sprintf(
                      /* translators: %s: peer name. */
                      __('Remove the peer “%s”?', 'usersync'),
                      peer.name,
                    )}
                    message={__(
                      'Changes are no longer pushed to it and its stored token is deleted. Users it created here stay. Revoke its SCIM token above to stop it writing here.',
                      'usersync',
                    )}
                    confirmLabel={__('Remove peer', 'usersync')}
                    onConfirm={onRemove(peer)}
                  />
                </div>
              </>
            )}
          </section>
        ))}
        {editing === 'new' ? (
          <section className="usersync-connection" aria-label={__('New peer', 'usersync')}>
            <h3>{__('New WordPress peer', 'usersync')}</h3>
            <PeerForm
              takenSlugs={peers.map((peer) => peer.slug)}
              onSave={onSave(-1)}
              onCancel={() => setEditing(null)}
            />
          </section>
        ) : (
          <Button
            variant="secondary"
            onClick={() => {
              setMessage(null);
              setEditing('new');
            }}
          >
            {__('Add a WordPress peer', 'usersync')}
          </Button>
        )}
      </>
    );
  }

  return (
    <Card className="usersync-card">
      <CardHeader>
        <h2 className="usersync-card__title">{__('WordPress peers', 'usersync')}</h2>
      </CardHeader>
      <CardBody>
        {message ? (
          <Notice status="success" onRemove={() => setMessage(null)}>
            {message}
          </Notice>
        ) : null}
        {body}
      </CardBody>
    </Card>
  );
}
