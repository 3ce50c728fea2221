/**
 * The UserSync settings page: a title and one tab per area. The open tab is kept in the
 * address (`&tab=audit`), so a reload, a bookmark or a link opens it again.
 */

/**
 * WordPress dependencies
 */
import { TabPanel } from '@wordpress/components';
import { useMemo } from '@wordpress/element';
import { __ } from '@wordpress/i18n';

/**
 * Internal dependencies
 */
import { getTabs } from '../tabs';

/** The tab the address names, if it is one. */
function tabFromUrl(names: string[]): string | undefined {
  const name = new URLSearchParams(window.location.search).get('tab');
  return name && names.includes(name) ? name : undefined;
}

/** Puts the open tab in the address; parameters of the previous tab (filters) are dropped. */
function rememberTab(name: string): void {
  const url = new URL(window.location.href);
  if (url.searchParams.get('tab') === name) {
    return;
  }
  const page = url.searchParams.get('page');
  url.search = '';
  if (page) {
    url.searchParams.set('page', page);
  }
  url.searchParams.set('tab', name);
  window.history.replaceState(window.history.state, '', url.toString());
}

export default function App() {
  const tabs = useMemo(() => getTabs(), []);
  const initialTab = useMemo(
    () => tabFromUrl(tabs.map(({ name }) => name)) ?? tabs[0]?.name,
    [tabs],
  );

  return (
    <div className="usersync-admin">
      <h1>{__('UserSync', 'usersync')}</h1>
      <TabPanel
        className="usersync-tabs"
        tabs={tabs.map(({ name, title }) => ({ name, title }))}
        initialTabName={initialTab}
        onSelect={rememberTab}
      >
        {(tab) => {
          const Tab = tabs.find(({ name }) => name === tab.name)?.Component;
          return Tab ? <Tab /> : null;
        }}
      </TabPanel>
    </div>
  );
}
