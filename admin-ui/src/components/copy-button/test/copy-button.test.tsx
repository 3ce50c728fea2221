/**
 * External dependencies
 */
import { act, render, screen } from '@testing-library/react';
import userEvent from '@testing-library/user-event';

/**
 * Internal dependencies
 */
import CopyButton from '..';

describe('CopyButton', () => {
  it('copies with the Clipboard API and confirms', async () => {
    const user = userEvent.setup();
    render(<CopyButton text="us_secret" label="Copy token" />);

    await user.click(screen.getByRole('button', { name: 'Copy token' }));

    await expect(navigator.clipboard.readText()).resolves.toBe('us_secret');
    expect(screen.getByRole('status')).toHaveTextContent('Copied.');
  });

  it('clears the confirmation after a few seconds', async () => {
    jest.useFakeTimers();
    try {
      const user = userEvent.setup({ advanceTimers: jest.advanceTimersByTime });
      render(<CopyButton text="us_secret" label="Copy token" />);

      await user.click(screen.getByRole('button', { name: 'Copy token' }));
      expect(screen.getByRole('status')).toHaveTextContent('Copied.');

      act(() => {
        jest.advanceTimersByTime(5000);
      });
      expect(screen.getByRole('status')).toBeEmptyDOMElement();
    } finally {
      jest.useRealTimers();
    }
  });

  describe('without the Clipboard API (plain http)', () => {
    const execCommand = jest.fn();

    beforeEach(() => {
      // userEvent.setup() installs a clipboard; these tests use a bare user-event instance.
      Object.defineProperty(navigator, 'clipboard', { value: undefined, configurable: true });
      Object.defineProperty(document, 'execCommand', { value: execCommand, configurable: true });
      execCommand.mockReset();
    });

    it('copies through a selection', async () => {
      let selected = '';
      execCommand.mockImplementation((command: string) => {
        selected = (document.activeElement as HTMLTextAreaElement).value;
        return command === 'copy';
      });
      const user = userEvent.setup({ writeToClipboard: false });
      Object.defineProperty(navigator, 'clipboard', { value: undefined, configurable: true });
      render(<CopyButton text="http://127.0.0.1:8787/scim/v2" label="Copy SCIM URL" />);

      const button = screen.getByRole('button', { name: 'Copy SCIM URL' });
      await user.click(button);

      expect(execCommand).toHaveBeenCalledWith('copy');
      expect(selected).toBe('http://127.0.0.1:8787/scim/v2');
      expect(await screen.findByText('Copied.')).toBeInTheDocument();
      // The helper textarea is gone and focus is back on the button.
      expect(document.querySelector('textarea')).toBeNull();
      expect(button).toHaveFocus();
    });

    it('tells how to copy by hand when the browser refuses', async () => {
      execCommand.mockReturnValue(false);
      const user = userEvent.setup({ writeToClipboard: false });
      Object.defineProperty(navigator, 'clipboard', { value: undefined, configurable: true });
      render(<CopyButton text="us_secret" label="Copy token" />);

      await user.click(screen.getByRole('button', { name: 'Copy token' }));

      expect(await screen.findByRole('status')).toHaveTextContent(
        /Could not copy\. Select the text/,
      );
    });
  });
});
