/**
 * The UserSync settings page: a title and one tab per area. The open tab is kept in the
 * address (`&tab=audit`), so a reload, a bookmark or a link opens it again.
 */

/**
 * External dependencies
 */
import type { KeyboardEvent, MouseEvent } from 'react';

/**
 * WordPress dependencies
 */
import { Button, Flex, FlexItem, Modal, TabPanel } from '@wordpress/components';
import { useMemo, useState } from '@wordpress/element';
import { __ } from '@wordpress/i18n';

/**
 * Internal dependencies
 */
import { useHasUnsavedChanges } from '../hooks/use-unsaved-changes';
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

/** The tab a click or a key press on the tab list would open, if any. */
function targetTab(
  event: MouseEvent<HTMLDivElement> | KeyboardEvent<HTMLDivElement>,
  names: string[],
  current: string,
): string | null {
  const tab = (event.target as HTMLElement).closest<HTMLElement>('[role="tab"]');
  if (!tab || !event.currentTarget.querySelector('[role="tablist"]')?.contains(tab)) {
    return null;
  }
  const index = names.indexOf(current);
  if ('key' in event) {
    const moves: Record<string, number> = {
      ArrowRight: index + 1,
      ArrowDown: index + 1,
      ArrowLeft: index - 1,
      ArrowUp: index - 1,
      Home: 0,
      End: names.length - 1,
    };
    if (!(event.key in moves)) {
      return null;
    }
    return names[(moves[event.key]! + names.length) % names.length] ?? null;
  }
  // Tab buttons carry their name as the last part of their id (`…-connections`).
  return names.find((name) => tab.id.endsWith(`-${name}`)) ?? null;
}

export default function App() {
  const tabs = useMemo(() => getTabs(), []);
  const names = useMemo(() => tabs.map(({ name }) => name), [tabs]);
  const [opened, setOpened] = useState(() => ({
    name: tabFromUrl(names) ?? tabs[0]?.name ?? '',
    // Changes when a tab is opened for the admin, so the panel starts on it.
    key: 0,
  }));
  const [current, setCurrent] = useState(opened.name);
  const [leaving, setLeaving] = useState<string | null>(null);
  const isDirty = useHasUnsavedChanges();

  // Edits not saved yet would be lost with their tab: ask first.
  const guard = (event: MouseEvent<HTMLDivElement> | KeyboardEvent<HTMLDivElement>) => {
    if (!isDirty) {
      return;
    }
    const target = targetTab(event, names, current);
    if (target && target !== current) {
      event.preventDefault();
      event.stopPropagation();
      setLeaving(target);
    }
  };

  const leave = () => {
    if (leaving) {
      setOpened((previous) => ({ name: leaving, key: previous.key + 1 }));
      setCurrent(leaving);
      rememberTab(leaving);
    }
    setLeaving(null);
  };

  return (
    <div className="usersync-admin">
      <h1>{__('UserSync', 'usersync')}</h1>
      {/* Capture-phase guards see a tab's click or arrow key before the tab panel acts. */}
      <div onClickCapture={guard} onKeyDownCapture={guard}>
        <TabPanel
          key={opened.key}
          className="usersync-tabs"
          tabs={tabs.map(({ name, title }) => ({ name, title }))}
          initialTabName={opened.name}
          onSelect={(name: string) => {
            setCurrent(name);
            rememberTab(name);
          }}
        >
          {(tab) => {
            const Tab = tabs.find(({ name }) => name === tab.name)?.Component;
            return Tab ? <Tab /> : null;
          }}
        </TabPanel>
      </div>
      {leaving ? (
        <Modal
          title={__('Leave without saving?', 'usersync')}
          onRequestClose={() => setLeaving(null)}
          className="usersync-confirm-modal"
        >
          <p>
            {__(
              'This tab has changes that are not saved. If you open another tab now, they are lost.',
              'usersync',
            )}
          </p>
          <Flex justify="flex-end">
            <FlexItem>
              <Button variant="tertiary" onClick={() => setLeaving(null)}>
                {__('Stay and keep editing', 'usersync')}
              </Button>
            </FlexItem>
            <FlexItem>
              <Button variant="primary" isDestructive onClick={leave}>
                {__('Discard changes', 'usersync')}
              </Button>
            </FlexItem>
          </Flex>
        </Modal>
      ) : null}
    </div>
  );
}
