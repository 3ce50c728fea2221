/**
 * Form to create a SCIM token: a name and an optional connection slug. Mistakes are shown
 * next to the field they concern, before sending when they can be caught here.
 */

/**
 * External dependencies
 */
import type { FormEvent } from 'react';

/**
 * WordPress dependencies
 */
import { Button, TextControl } from '@wordpress/components';
import { useRef, useState } from '@wordpress/element';
import { __, sprintf } from '@wordpress/i18n';

/**
 * Internal dependencies
 */
import { toApiError } from '../../api';
import type { ApiError } from '../../api';
import ErrorNotice from '../error-notice';
import type { CreateTokenFormProps, FieldErrors } from './types';
import { NAME_MAX_LENGTH, fieldErrorsFromApi, suggestConnection, validateToken } from './validate';

export default function CreateTokenForm({ onCreate }: CreateTokenFormProps) {
  const [name, setName] = useState('');
  const [connection, setConnection] = useState('');
  const [errors, setErrors] = useState<FieldErrors>({});
  const [formError, setFormError] = useState<ApiError | null>(null);
  const [isSubmitting, setIsSubmitting] = useState(false);
  const nameInput = useRef<HTMLInputElement>(null);
  const connectionInput = useRef<HTMLInputElement>(null);

  const showErrors = (next: FieldErrors) => {
    setErrors(next);
    // Take the keyboard to the first field to fix.
    if (next.name) {
      nameInput.current?.focus();
    } else if (next.connection) {
      connectionInput.current?.focus();
    }
  };

  const onSubmit = async (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    if (isSubmitting) {
      return;
    }
    setFormError(null);
    const invalid = validateToken(name, connection);
    if (Object.keys(invalid).length > 0) {
      showErrors(invalid);
      return;
    }
    setErrors({});
    setIsSubmitting(true);
    try {
      await onCreate({ name: name.trim(), connection: connection.trim() || undefined });
      setName('');
      setConnection('');
      setIsSubmitting(false);
    } catch (failure) {
      const error = toApiError(failure);
      const fieldErrors = fieldErrorsFromApi(error);
      setIsSubmitting(false);
      if (Object.keys(fieldErrors).length > 0) {
        showErrors(fieldErrors);
      } else {
        setFormError(error);
      }
    }
  };

  const suggestion = suggestConnection(name);

  return (
    <form className="usersync-create-token" onSubmit={onSubmit} noValidate>
      <TextControl
        ref={nameInput}
        className={errors.name ? 'usersync-field has-error' : 'usersync-field'}
        label={__('Token name', 'usersync')}
        help={
          errors.name ||
          __(
            'A name you will recognise later, such as the identity provider and environment: “Entra production”.',
            'usersync',
          )
        }
        value={name}
        maxLength={NAME_MAX_LENGTH}
        required
        aria-invalid={errors.name ? true : undefined}
        autoComplete="off"
        onChange={(value) => {
          setName(value);
          if (errors.name) {
            setErrors({ ...errors, name: undefined });
          }
        }}
      />
      <TextControl
        ref={connectionInput}
        className={errors.connection ? 'usersync-field has-error' : 'usersync-field'}
        label={__('Connection (optional)', 'usersync')}
        help={
          errors.connection ||
          (suggestion
            ? sprintf(
                /* translators: %s: connection slug derived from the token name. */
                __(
                  'Users created with this token are linked to this connection. Leave empty to use “%s”; enter the connection of an existing token to replace that token.',
                  'usersync',
                ),
                suggestion,
              )
            : __(
                'Users created with this token are linked to this connection. Leave empty to derive it from the name; enter the connection of an existing token to replace that token.',
                'usersync',
              ))
        }
        value={connection}
        placeholder={suggestion}
        aria-invalid={errors.connection ? true : undefined}
        autoComplete="off"
        spellCheck={false}
        onChange={(value) => {
          setConnection(value);
          if (errors.connection) {
            setErrors({ ...errors, connection: undefined });
          }
        }}
      />
      {formError ? (
        <ErrorNotice title={__('The token could not be created.', 'usersync')} error={formError} />
      ) : null}
      <Button variant="primary" type="submit" isBusy={isSubmitting} aria-disabled={isSubmitting}>
        {__('Create token', 'usersync')}
      </Button>
    </form>
  );
}
