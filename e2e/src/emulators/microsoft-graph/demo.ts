// The demo directory of `npm start`: the Graph emulator with a few hundred users, connected to
// the local site as a clearly labelled Microsoft Graph connection, so a new user can open
// Users → UserSync, press Sync now and watch it work — no Azure tenant needed.
import { canListen } from '../../stack/ports.js';
import { startGraphEmulator } from './index.js';
import type { GraphEmulator } from './index.js';
import { connectEmulator } from './stack.js';
import type { SiteAccess } from './stack.js';

export const DEMO_SLUG = 'demo-directory';

export interface DemoDirectory {
  emulator: GraphEmulator;
  /** Lines to print under the stack's details. */
  lines: string[];
  stop(): Promise<void>;
}

export async function startDemoDirectory(
  site: SiteAccess,
  options: { users?: number; port?: number; domain?: string } = {},
): Promise<DemoDirectory> {
  const users = options.users ?? 300;
  const preferred = options.port ?? 8790;
  const emulator = await startGraphEmulator({
    port: (await canListen(preferred)) ? preferred : 0,
    users,
    seed: 'demo',
    photoEvery: 5,
    domain: options.domain,
  });
  try {
    await connectEmulator(site, emulator, {
      slug: DEMO_SLUG,
      name: `Demo directory (emulated Microsoft Entra ID, ${users} users)`,
      pageSize: 100,
    });
  } catch (error) {
    await emulator.close();
    throw error;
  }
  return {
    emulator,
    lines: [
      `  Demo directory    ${emulator.url}   (emulated Microsoft Graph, ${users} users, not a real tenant)`,
      `    connection      "${DEMO_SLUG}" — press Sync now on the UserSync page, or:`,
      `    its users       curl -s '${emulator.url}/_emulator/users?per_page=5'   (ids, UPNs and names; &page=2, &search=…)`,
      `    change one      curl -s -X PATCH ${emulator.url}/_emulator/users/<id from that list> -H 'Content-Type: application/json' -d '{"jobTitle":"Changed"}'`,
    ],
    stop: () => emulator.close(),
  };
}
