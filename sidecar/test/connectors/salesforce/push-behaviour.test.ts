// The shared push target behaviour, run against the Salesforce push target over the
// Salesforce emulator, the local WordPress being the in-memory plugin feed. Contacts have no
// "active" flag of their own: the map sends the account state inverted into the standard
// checkbox HasOptedOutOfEmail (a disabled member is opted out of email), which is what the
// harness reads back as `active`; deletes follow deletePolicy.push = delete.
import { SITE_KEY, SLUG, contactMap, liveContacts, pushSetup } from './push-support.js';
import { pushTargetBehaviour } from '../behaviour.js';

pushTargetBehaviour('Salesforce', async () => {
  const map = contactMap();
  const s = await pushSetup({
    objectMaps: [
      {
        ...map,
        fields: [
          ...(map.fields ?? []),
          {
            wp: 'active',
            sf: 'HasOptedOutOfEmail',
            direction: 'outbound',
            transform: 'picklist-map',
            valueMap: { true: 'false', false: 'true' },
          },
        ],
      },
    ],
  });
  const contactOf = (userId: number) =>
    liveContacts(s.emulator).find((contact) => contact.UserSync_Id__c === `${SITE_KEY}:${userId}`);
  return {
    target: s.target,
    // Nothing listens on port 1 of the loopback.
    unreachable: s.targetWith({}, 'http://127.0.0.1:1'),
    config: s.feed.syncConfig,
    addUser: (login, input) => s.feed.addUser(login, input).id,
    updateUser(id, change) {
      Object.assign(s.feed.people.get(id)!, change);
    },
    deleteUser(id) {
      s.feed.people.delete(id);
    },
    async remote(id) {
      const contact = contactOf(id);
      if (!contact) return null;
      return {
        firstName: String(contact.FirstName ?? ''),
        active: contact.HasOptedOutOfEmail !== true,
      };
    },
    remoteCount: async () => liveContacts(s.emulator).length,
    async reset() {
      for (const contact of liveContacts(s.emulator)) s.emulator.delete(String(contact.Id));
      s.feed.people.clear();
      await s.store.resetOutboundTarget(SLUG);
    },
    close: () => s.close(),
  };
});
