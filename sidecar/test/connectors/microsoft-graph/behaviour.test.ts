// The shared connector behaviour, run against Microsoft Graph for Entra ID (delta query) and
// for Azure AD B2C (full scans), both through the Graph emulator.
import { startGraphEmulator } from '../../../../e2e/src/emulators/microsoft-graph/index.js';
import { MicrosoftGraphConnector } from '../../../src/connectors/microsoft-graph/index.js';
import { connectorBehaviour } from '../behaviour.js';

for (const b2c of [false, true]) {
  connectorBehaviour(`Microsoft Graph (${b2c ? 'Azure AD B2C' : 'Entra ID'})`, async () => {
    const emulator = await startGraphEmulator({ users: 23, b2c, seed: `behaviour-${b2c}` });
    const settings = {
      tenantId: emulator.tenantId,
      clientId: emulator.clientId,
      clientSecret: emulator.clientSecret,
      authorityUrl: emulator.url,
      graphUrl: emulator.url,
      b2c,
      pageSize: 5,
    };
    const d = () => emulator.directory;
    return {
      connector: new MicrosoftGraphConnector(settings, { backoffMs: 5 }),
      badCredentials: new MicrosoftGraphConnector(
        { ...settings, clientSecret: 'not-the-secret' },
        { backoffMs: 5 },
      ),
      incremental: !b2c,
      initialUsers: 23,
      async createUser(input) {
        const identities = b2c
          ? [{ signInType: 'emailAddress', issuer: d().domain, issuerAssignedId: input.email }]
          : [];
        return d().createUser({
          userPrincipalName: `${input.userName}@${d().domain}`,
          givenName: input.givenName,
          surname: input.familyName,
          displayName: `${input.givenName} ${input.familyName}`,
          mail: b2c ? null : input.email,
          identities,
        }).id;
      },
      async updateUser(id, change) {
        d().updateUser(id, {
          ...(change.givenName ? { givenName: change.givenName } : {}),
          ...(change.familyName ? { surname: change.familyName } : {}),
        });
      },
      async deleteUser(id) {
        d().deleteUser(id, true);
      },
      close: () => emulator.close(),
    };
  });
}
