/**
 * External dependencies
 */
import { render, screen } from '@testing-library/react';
import userEvent from '@testing-library/user-event';

/**
 * Internal dependencies
 */
import RoleUpdateModes from '..';

const CONNECTIONS = [
  { slug: 'entra', name: 'Entra production' },
  { slug: 'okta', name: 'Okta' },
];

describe('RoleUpdateModes', () => {
  it('shows each connection’s mode, replace when none is stored', () => {
    render(
      <RoleUpdateModes modes={{ okta: 'keep' }} connections={CONNECTIONS} onChange={jest.fn()} />,
    );
    expect(screen.getByRole('combobox', { name: 'Roles from “Entra production”' })).toHaveValue(
      'replace',
    );
    expect(screen.getByRole('combobox', { name: 'Roles from “Okta”' })).toHaveValue('keep');
  });

  it('sets a mode, and leaves a connection set back to replace out', async () => {
    const user = userEvent.setup();
    const onChange = jest.fn();
    const { rerender } = render(
      <RoleUpdateModes modes={{}} connections={CONNECTIONS} onChange={onChange} />,
    );
    await user.selectOptions(
      screen.getByRole('combobox', { name: 'Roles from “Entra production”' }),
      'Only add roles (never remove one)',
    );
    expect(onChange).toHaveBeenLastCalledWith({ entra: 'add' });

    rerender(
      <RoleUpdateModes modes={{ entra: 'add' }} connections={CONNECTIONS} onChange={onChange} />,
    );
    await user.selectOptions(
      screen.getByRole('combobox', { name: 'Roles from “Entra production”' }),
      'Replace the roles the role map manages',
    );
    expect(onChange).toHaveBeenLastCalledWith({});
  });

  it('shows the plugin’s error for a connection', () => {
    render(
      <RoleUpdateModes
        modes={{ okta: 'add' }}
        connections={CONNECTIONS}
        onChange={jest.fn()}
        errors={{ 'roleMap[updateModes][okta]': 'There is no connection "okta".' }}
      />,
    );
    expect(screen.getByRole('alert')).toHaveTextContent('There is no connection "okta".');
    expect(screen.getByRole('combobox', { name: 'Roles from “Okta”' })).toHaveAttribute(
      'aria-invalid',
      'true',
    );
  });

  it('shows nothing without connections', () => {
    const { container } = render(
      <RoleUpdateModes modes={{}} connections={[]} onChange={jest.fn()} />,
    );
    expect(container).toBeEmptyDOMElement();
  });
});
