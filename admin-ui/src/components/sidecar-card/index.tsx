/**
 * The sidecar's state as WordPress sees it: configured, reachable, and its own health
 * checks (store, connection back to WordPress), with a way to check again.
 */

/**
 * WordPress dependencies
 */
import { Button, Card, CardBody, CardFooter, CardHeader, Notice } from '@wordpress/components';
import { createInterpolateElement } from '@wordpress/element';
import { __, sprintf } from '@wordpress/i18n';

/**
 * Internal dependencies
 */
import type { SidecarHealth } from '../../api';
import DetailList from '../detail-list';
import type { DetailItem } from '../detail-list/types';
import type { SidecarCardProps } from './types';

function storeLabel(kind: string | undefined): string {
  switch (kind) {
    case 'sqlite':
      return __('SQLite', 'usersync');
    case 'postgres':
    case 'postgresql':
      return __('PostgreSQL', 'usersync');
    default:
      return kind || __('Unknown', 'usersync');
  }
}

function checkValue(check: { ok: boolean; error?: string } | undefined, okText: string): string {
  if (!check) {
    return __('Not reported', 'usersync');
  }
  if (check.ok) {
    return okText;
  }
  return check.error
    ? sprintf(
        /* translators: %s: error message reported by the sidecar. */
        __('Failing: %s', 'usersync'),
        check.error,
      )
    : __('Failing', 'usersync');
}

function healthItems(health: SidecarHealth): DetailItem[] {
  const items: DetailItem[] = [
    {
      key: 'status',
      label: __('Health', 'usersync'),
      value: health.status === 'ok' ? __('OK', 'usersync') : __('Degraded', 'usersync'),
    },
  ];
  if (health.version) {
    items.push({ key: 'version', label: __('Sidecar version', 'usersync'), value: health.version });
  }
  items.push({
    key: 'store',
    label: __('Store', 'usersync'),
    value: health.store
      ? checkValue(
          health.store,
          sprintf(
            /* translators: %s: kind of database, e.g. SQLite or PostgreSQL. */
            __('%s, OK', 'usersync'),
            storeLabel(health.store.kind),
          ),
        )
      : __('Not reported', 'usersync'),
  });
  items.push({
    key: 'wordpress',
    label: __('Connection to WordPress', 'usersync'),
    value: checkValue(health.wordpress, __('OK', 'usersync')),
  });
  return items;
}

export default function SidecarCard({ sidecar, isChecking, onCheckAgain }: SidecarCardProps) {
  let body;
  if (!sidecar.configured) {
    body = (
      <>
        <p>
          <strong>{__('Not configured.', 'usersync')}</strong>
        </p>
        <p>
          {createInterpolateElement(
            __(
              'The sidecar is the UserSync service that answers identity providers (SCIM) and runs scheduled syncs. Set <code>USERSYNC_SIDECAR_URL</code> and <code>USERSYNC_SIDECAR_KEY</code> in <code>wp-config.php</code> to its address and shared key.',
              'usersync',
            ),
            { code: <code /> },
          )}
        </p>
      </>
    );
  } else {
    const items: DetailItem[] = [
      { key: 'url', label: __('Address', 'usersync'), value: <code>{sidecar.url}</code> },
      {
        key: 'reachable',
        label: __('Reachable', 'usersync'),
        value: sidecar.reachable ? __('Yes', 'usersync') : __('No', 'usersync'),
      },
      ...(sidecar.health ? healthItems(sidecar.health) : []),
    ];
    body = (
      <>
        {!sidecar.reachable ? (
          <Notice status="error" isDismissible={false}>
            <p>
              <strong>{__('WordPress cannot reach the sidecar.', 'usersync')} </strong>
              {sidecar.error || __('No reason was given.', 'usersync')}
            </p>
            <p>
              {__(
                'Check that the sidecar is running and that the address in USERSYNC_SIDECAR_URL is right.',
                'usersync',
              )}
            </p>
          </Notice>
        ) : null}
        {sidecar.reachable && sidecar.health && sidecar.health.status !== 'ok' ? (
          <Notice status="warning" isDismissible={false}>
            {sidecar.error ||
              __('The sidecar is running but one of its checks fails; see below.', 'usersync')}
          </Notice>
        ) : null}
        <DetailList items={items} />
      </>
    );
  }

  return (
    <Card className="usersync-card">
      <CardHeader>
        <h2 className="usersync-card__title">{__('Sidecar', 'usersync')}</h2>
      </CardHeader>
      <CardBody>{body}</CardBody>
      <CardFooter>
        <Button
          variant="secondary"
          // Stays focusable while busy so keyboard focus is not lost mid-check.
          aria-disabled={isChecking}
          isBusy={isChecking}
          onClick={() => {
            if (!isChecking) {
              onCheckAgain();
            }
          }}
        >
          {__('Check again', 'usersync')}
        </Button>
      </CardFooter>
    </Card>
  );
}
