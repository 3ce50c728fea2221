/**
 * The UserSync settings page: a title and one tab per area.
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

export default function App() {
  const tabs = useMemo(() => getTabs(), []);

  return (
    <div className="usersync-admin">
      <h1>{__('UserSync', 'usersync')}</h1>
      <TabPanel
        className="usersync-tabs"
        tabs={tabs.map(({ name, title }) => ({ name, title }))}
        initialTabName={tabs[0]?.name}
      >
        {(tab) => {
          const Tab = tabs.find(({ name }) => name === tab.name)?.Component;
          return Tab ? <Tab /> : null;
        }}
      </TabPanel>
    </div>
  );
}
