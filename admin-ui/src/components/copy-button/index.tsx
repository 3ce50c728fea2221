/**
 * A button that copies a text to the clipboard and says whether it worked.
 *
 * `navigator.clipboard` exists only on secure origins (https or localhost); many admin
 * areas are served over plain http, so a hidden-textarea copy is the fallback.
 */

/**
 * WordPress dependencies
 */
import { Button } from '@wordpress/components';
import { useEffect, useState } from '@wordpress/element';
import { __ } from '@wordpress/i18n';

/**
 * Internal dependencies
 */
import type { CopyButtonProps, CopyResult } from './types';

/** How long the "Copied" confirmation stays. */
const CONFIRMATION_MS = 4000;

function copyWithSelection(text: string): boolean {
  const textarea = document.createElement('textarea');
  textarea.value = text;
  textarea.setAttribute('readonly', '');
  textarea.style.position = 'fixed';
  textarea.style.top = '0';
  textarea.style.left = '-9999px';
  const focused = document.activeElement as HTMLElement | null;
  document.body.appendChild(textarea);
  textarea.focus();
  textarea.select();
  let copied = false;
  try {
    copied = typeof document.execCommand === 'function' && document.execCommand('copy');
  } catch {
    copied = false;
  }
  document.body.removeChild(textarea);
  focused?.focus();
  return copied;
}

/** Copies a text; resolves to whether it reached the clipboard. */
export async function copyText(text: string): Promise<boolean> {
  if (typeof navigator !== 'undefined' && navigator.clipboard?.writeText) {
    try {
      await navigator.clipboard.writeText(text);
      return true;
    } catch {
      // Refused (permissions, insecure origin): try the selection fallback.
    }
  }
  return copyWithSelection(text);
}

export default function CopyButton({ text, label }: CopyButtonProps) {
  const [result, setResult] = useState<CopyResult>('idle');

  useEffect(() => {
    if (result !== 'copied') {
      return undefined;
    }
    const timer = setTimeout(() => setResult('idle'), CONFIRMATION_MS);
    return () => clearTimeout(timer);
  }, [result]);

  const onClick = () => {
    void copyText(text).then((copied) => setResult(copied ? 'copied' : 'failed'));
  };

  return (
    <span className="usersync-copy-button">
      <Button variant="secondary" onClick={onClick}>
        {label}
      </Button>
      <span className="usersync-copy-button__status" role="status">
        {result === 'copied' ? __('Copied.', 'usersync') : null}
        {result === 'failed'
          ? __('Could not copy. Select the text and press Ctrl+C (⌘+C on a Mac).', 'usersync')
          : null}
      </span>
    </span>
  );
}
