// Recording identity links in WordPress after a push target delivered: the users whose link
// could not be recorded, and why. The target's states are saved before this, so a link that
// failed for a passing reason is recorded by the next delivery, which finds the remote id.
import type { PluginFeed } from '../wordpress/feed.js';
import { DeliveryError } from './types.js';

export async function recordLinks(
  feed: Pick<PluginFeed, 'links'>,
  connection: string,
  links: { userId: number; externalId: string | null }[],
  /** What is linked, for messages: e.g. "Child site's user", "the Contact record". */
  what: string,
): Promise<Map<number, DeliveryError>> {
  const failed = new Map<number, DeliveryError>();
  if (links.length === 0) return failed;
  try {
    for (const result of await feed.links(connection, links)) {
      if (result.ok) continue;
      failed.set(
        result.userId,
        new DeliveryError(
          `The link to ${what} could not be recorded: ${result.error?.message ?? 'unknown error'}`,
          result.error?.code ?? 'link_failed',
          false,
          result.error?.status ?? 0,
        ),
      );
    }
  } catch (error) {
    const failure = new DeliveryError(
      `Recording links in WordPress failed: ${(error as Error).message}`,
      'wordpress_unavailable',
      true,
    );
    for (const link of links) failed.set(link.userId, failure);
  }
  return failed;
}
