/**
 * The SCIM base URL in a read-only field, with a copy button: identity providers ask for it
 * together with the token ("Tenant URL" in Microsoft Entra ID, "SCIM connector base URL" in Okta).
 */

/**
 * WordPress dependencies
 */
import { TextControl } from '@wordpress/components';
import { __ } from '@wordpress/i18n';

/**
 * Internal dependencies
 */
import CopyButton from '../copy-button';
import type { ScimUrlFieldProps } from './types';

export default function ScimUrlField({ url }: ScimUrlFieldProps) {
  return (
    <div className="usersync-secret-field">
      <TextControl
        className="usersync-secret-field__input"
        label={__('SCIM base URL', 'usersync')}
        value={url}
        readOnly
        onChange={() => undefined}
        onFocus={(event) => event.currentTarget.select()}
      />
      <CopyButton text={url} label={__('Copy SCIM URL', 'usersync')} />
    </div>
  );
}
