/**
 * Connections tab: how identity providers reach this site. For now, SCIM tokens.
 */

/**
 * Internal dependencies
 */
import ScimTokens from '../../components/scim-tokens';
import { getAdminSettings } from '../../settings';

export default function Connections() {
  return (
    <div className="usersync-connections">
      <ScimTokens scimUrl={getAdminSettings().scimUrl} />
    </div>
  );
}
