/**
 * Connections tab: how users reach this site and where they come from — SCIM tokens for
 * identity providers that push, Microsoft Entra ID / Azure AD B2C directories that are
 * pulled, WordPress peers, and Salesforce.
 */

/**
 * WordPress dependencies
 */
import { Card, CardBody, CardHeader } from '@wordpress/components';
import { __ } from '@wordpress/i18n';

/**
 * Internal dependencies
 */
import GraphConnections from '../../components/graph-connections';
import ScimTokens from '../../components/scim-tokens';
import WordPressPeers from '../../components/wordpress-peers';
import { getAdminSettings } from '../../settings';

/** Address of another tab of this page. */
export function tabHref(tab: string): string {
  const url = new URL(window.location.href);
  const page = url.searchParams.get('page') ?? 'usersync';
  url.search = '';
  url.searchParams.set('page', page);
  url.searchParams.set('tab', tab);
  return url.toString();
}

export default function Connections() {
  const { scimUrl } = getAdminSettings();
  return (
    <div className="usersync-connections">
      <ScimTokens scimUrl={scimUrl} />
      <GraphConnections scheduleHref={tabHref('schedule')} />
      <WordPressPeers scimUrl={scimUrl} />
      <Card className="usersync-card usersync-salesforce">
        <CardHeader>
          <h2 className="usersync-card__title">{__('Salesforce', 'usersync')}</h2>
        </CardHeader>
        <CardBody>
          <p>
            {__(
              'Not available in this version. Syncing WordPress users with Salesforce contacts and leads — field mapping with a direction per field, real-time pushes and scheduled pulls — will be set up here.',
              'usersync',
            )}
          </p>
        </CardBody>
      </Card>
    </div>
  );
}
