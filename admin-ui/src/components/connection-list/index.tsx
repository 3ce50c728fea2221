/**
 * A card of connections of one kind (Microsoft Graph directories, WordPress peers): each
 * listed with its details, Edit and Remove; one edited or added at a time, in place; what
 * was done said above the list.
 */

/**
 * WordPress dependencies
 */
import { Button, Card, CardBody, CardHeader, Notice } from '@wordpress/components';
import { useState } from '@wordpress/element';
import { __ } from '@wordpress/i18n';

/**
 * Internal dependencies
 */
import ConfirmButton from '../confirm-button';
import DetailList from '../detail-list';
import ErrorNotice from '../error-notice';
import LoadingState from '../loading-state';
import type { ConnectionListProps } from './types';

/** What `editing` holds while a new item's form is open. */
const NEW = Symbol('new');

export default function ConnectionList<Item>({
  title,
  items,
  loadError,
  onRetry,
  loadingLabel,
  loadErrorTitle,
  intro,
  emptyText,
  keyOf,
  nameOf,
  kindOf,
  details,
  renderForm,
  renderActions,
  renderAfterActions,
  editLabel,
  remove,
  newLabel,
  newHeading,
  addLabel,
}: ConnectionListProps<Item>) {
  const [editing, setEditing] = useState<string | typeof NEW | null>(null);
  const [message, setMessage] = useState<string | null>(null);
  const done = {
    onSaved: (saved: string) => {
      setEditing(null);
      setMessage(saved);
    },
    onCancel: () => setEditing(null),
  };

  let body;
  if (!items) {
    body = loadError ? (
      <ErrorNotice title={loadErrorTitle} error={loadError} onRetry={onRetry} />
    ) : (
      <LoadingState label={loadingLabel} />
    );
  } else {
    body = (
      <>
        {intro}
        {items.length === 0 && editing !== NEW ? (
          <p className="usersync-empty">{emptyText}</p>
        ) : null}
        {items.map((item) => {
          const key = keyOf(item);
          const name = nameOf(item);
          return (
            <section key={key} className="usersync-connection" aria-label={name}>
              <h3>
                {name}
                {kindOf ? (
                  <>
                    {' '}
                    <span className="usersync-connection__kind">{kindOf(item)}</span>
                  </>
                ) : null}
              </h3>
              {editing === key ? (
                renderForm(item, done)
              ) : (
                <>
                  <DetailList items={details(item)} />
                  <div className="usersync-form-actions">
                    {renderActions?.(item)}
                    <Button
                      variant="secondary"
                      aria-label={editLabel(name)}
                      onClick={() => setEditing(key)}
                    >
                      {__('Edit', 'usersync')}
                    </Button>
                    <ConfirmButton
                      label={remove.label}
                      ariaLabel={remove.ariaLabel(name)}
                      title={remove.title(name)}
                      message={remove.message}
                      confirmLabel={remove.confirmLabel}
                      onConfirm={async () => setMessage(await remove.onConfirm(item))}
                    />
                  </div>
                  {renderAfterActions?.(item)}
                </>
              )}
            </section>
          );
        })}
        {editing === NEW ? (
          <section className="usersync-connection" aria-label={newLabel}>
            <h3>{newHeading}</h3>
            {renderForm(undefined, done)}
          </section>
        ) : (
          <Button
            variant="secondary"
            onClick={() => {
              setMessage(null);
              setEditing(NEW);
            }}
          >
            {addLabel}
          </Button>
        )}
      </>
    );
  }

  return (
    <Card className="usersync-card">
      <CardHeader>
        <h2 className="usersync-card__title">{title}</h2>
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
