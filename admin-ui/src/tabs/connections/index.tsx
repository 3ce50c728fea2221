/**
 * Connections tab: how users reach this site and where they come from — SCIM tokens for
 * identity providers that push, Microsoft Entra ID / Azure AD B2C directories that are
 * pulled, WordPress peers, and Salesforce.
 */

/**
 * Internal dependencies
 */
import GraphConnections from '../../components/graph-connections';
import SalesforceConnections from '../../components/salesforce-connections';
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
      <SalesforceConnections scheduleHref={tabHref('schedule')} />
    </div>
  );
}
