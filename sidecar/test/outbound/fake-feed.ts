// Pushes are tested against the one in-memory plugin (test/scim/fake-wordpress.ts): the
// outbox feed and the users it describes are the same WordPress the SCIM store writes.
export { FakeWordPress as FakeFeed } from '../scim/fake-wordpress.js';
export type { FakeUser } from '../scim/fake-wordpress.js';
