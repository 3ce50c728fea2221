/**
 * Picks one WordPress user by typing part of a name, login or email (or an id). Searches
 * the site as the admin types, so it works however many users there are.
 */

/**
 * WordPress dependencies
 */
import { ComboboxControl } from '@wordpress/components';
import { useEffect, useRef, useState } from '@wordpress/element';
import { __, sprintf } from '@wordpress/i18n';

/**
 * Internal dependencies
 */
import { findUsers, getUser } from '../../api';
import type { UserSummary } from '../../api';
import type { UserPickerProps } from './types';

/** How long typing must pause before a search is sent. */
const SEARCH_DELAY_MS = 250;

export function userLabel(user: UserSummary): string {
  return sprintf(
    /* translators: 1: display name, 2: login, 3: email address. */
    __('%1$s (%2$s, %3$s)', 'usersync'),
    user.displayName || user.login,
    user.login,
    user.email,
  );
}

export default function UserPicker({
  label,
  help,
  value,
  onChange,
  error,
  search = findUsers,
  load = getUser,
}: UserPickerProps) {
  const [found, setFound] = useState<UserSummary[]>([]);
  const [chosen, setChosen] = useState<UserSummary | null>(null);
  const [searchError, setSearchError] = useState<string | null>(null);
  const [missing, setMissing] = useState(false);
  const latest = useRef(0);
  const timer = useRef<ReturnType<typeof setTimeout> | undefined>(undefined);

  // Show the stored choice by name.
  useEffect(() => {
    if (value === null || chosen?.id === value) {
      setMissing(false);
      return;
    }
    let current = true;
    load(value).then(
      (user) => {
        if (current) {
          setChosen(user);
          setMissing(user === null);
        }
      },
      () => undefined,
    );
    return () => {
      current = false;
    };
  }, [value, chosen, load]);

  useEffect(() => () => clearTimeout(timer.current), []);

  const onFilterValueChange = (term: string) => {
    clearTimeout(timer.current);
    const attempt = ++latest.current;
    timer.current = setTimeout(() => {
      search(term).then(
        (users) => {
          if (attempt === latest.current) {
            setFound(users);
            setSearchError(null);
          }
        },
        (failure: { message?: string }) => {
          if (attempt === latest.current) {
            setSearchError(failure?.message ?? __('The search failed.', 'usersync'));
          }
        },
      );
    }, SEARCH_DELAY_MS);
  };

  const users = [...found];
  if (chosen && !users.some((user) => user.id === chosen.id)) {
    users.unshift(chosen);
  }
  const options = users.map((user) => ({ value: String(user.id), label: userLabel(user) }));
  if (value !== null && !options.some((option) => option.value === String(value))) {
    options.unshift({
      value: String(value),
      label: missing
        ? sprintf(
            /* translators: %d: user id. */
            __('User #%d (no longer exists)', 'usersync'),
            value,
          )
        : sprintf(
            /* translators: %d: user id. */
            __('User #%d', 'usersync'),
            value,
          ),
    });
  }

  const message = error || searchError || help;
  return (
    <div className={`usersync-field usersync-user-picker${error ? ' has-error' : ''}`}>
      <ComboboxControl
        label={label}
        help={message}
        value={value === null ? null : String(value)}
        options={options}
        onFilterValueChange={onFilterValueChange}
        onChange={(next?: string | null) => {
          const id = next ? Number(next) : null;
          setChosen(id === null ? null : (users.find((user) => user.id === id) ?? null));
          onChange(id);
        }}
      />
    </div>
  );
}
