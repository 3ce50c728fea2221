// The shared connector behaviour, run against Salesforce Contacts through the Salesforce
// emulator (incremental pulls on SystemModstamp, deletions through queryAll).
import { startSalesforceEmulator } from '../../../../e2e/src/emulators/salesforce/index.js';
import { connectorBehaviour } from '../behaviour.js';
import { connectorFor } from './support.js';

connectorBehaviour('Salesforce (Contacts)', async () => {
  const emulator = await startSalesforceEmulator({ seed: 'behaviour' });
  // Time passes between writes, as in an org: SystemModstamp has a one-second grain, and a
  // pass re-reads the records of the instant it stopped at (they may have changed since).
  const later = () => emulator.advance(1000);
  for (let i = 0; i < 23; i++) {
    later();
    emulator.seed({ contacts: 1, from: i });
  }
  return {
    connector: connectorFor(emulator, { pageSize: 5 }),
    badCredentials: connectorFor(emulator, { pageSize: 5, clientSecret: 'not-the-secret' }),
    incremental: true,
    initialUsers: 23,
    async createUser(input) {
      later();
      return emulator.create('Contact', {
        FirstName: input.givenName,
        LastName: input.familyName,
        Email: input.email,
      });
    },
    async updateUser(id, change) {
      later();
      emulator.update(id, {
        ...(change.givenName ? { FirstName: change.givenName } : {}),
        ...(change.familyName ? { LastName: change.familyName } : {}),
        ...(change.email ? { Email: change.email } : {}),
      });
    },
    async deleteUser(id) {
      later();
      emulator.delete(id);
    },
    close: () => emulator.close(),
  };
});
