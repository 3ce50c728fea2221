// Seeded records: the same seed gives the same people run after run, so tests and the demo
// can address them (`seededContact(seed, i)`).
import crypto from 'node:crypto';

import { parseDatetime } from './org.js';
import type { Org } from './org.js';

const FIRST = [
  'Ada',
  'Grace',
  'Alan',
  'Edsger',
  'Barbara',
  'Donald',
  'Frances',
  'Ken',
  'Margaret',
  'Dennis',
  'Radia',
  'Leslie',
  'Katherine',
  'John',
  'Sophie',
  'Tim',
];
const LAST = [
  'Lovelace',
  'Hopper',
  'Turing',
  'Dijkstra',
  'Liskov',
  'Knuth',
  'Allen',
  'Thompson',
  'Hamilton',
  'Ritchie',
  'Perlman',
  'Lamport',
  'Johnson',
  'Backus',
  'Wilson',
  'Berners-Lee',
];
const TITLES = ['Engineer', 'Manager', 'Director', 'Analyst', 'Designer', null];
const CITIES = ['London', 'Paris', 'Berlin', 'Lisbon', 'Oslo', null];
const SOURCES = ['Web', 'Phone Inquiry', 'Partner Referral', 'Other', null];

function pick<T>(list: T[], seed: string, key: string): T {
  const n = crypto.createHash('sha256').update(`${seed}:${key}`).digest().readUInt32BE(0);
  return list[n % list.length]!;
}

export interface SeededContact {
  FirstName: string;
  LastName: string;
  Email: string;
  Title: string | null;
  Phone: string;
  MailingCity: string | null;
  LeadSource: string | null;
}

/** The i-th seeded contact's fields (i from 0). */
export function seededContact(seed: string, index: number): SeededContact {
  const first = pick(FIRST, seed, `first${index}`);
  const last = pick(LAST, seed, `last${index}`);
  return {
    FirstName: first,
    LastName: last,
    Email: `${first}.${last}.${index}@example.com`.toLowerCase(),
    Title: pick(TITLES, seed, `title${index}`),
    Phone: `+1 555 ${String(1000 + (index % 9000)).padStart(4, '0')}`,
    MailingCity: pick(CITIES, seed, `city${index}`),
    LeadSource: pick(SOURCES, seed, `source${index}`),
  };
}

export interface SeedOptions {
  seed?: string;
  /** Contacts to create (default 0). */
  contacts?: number;
  /** Leads to create (default 0). */
  leads?: number;
  /** Accounts to create (default 0); contacts are spread over them. */
  accounts?: number;
  /** Start numbering at this index (to add more seeded records later). */
  from?: number;
  /** Emit change events for the seeded records (default false: a data load before tests). */
  events?: boolean;
  /**
   * Create every record at this instant (ISO datetime): they all share one CreatedDate and
   * SystemModstamp, like a same-second burst from a data load.
   */
  at?: string;
  /** Extra fields for every seeded record. */
  fields?: Record<string, unknown>;
}

/** Creates seeded records; returns their Ids by object. */
export function seedOrg(
  org: Org,
  options: SeedOptions,
): { contacts: string[]; leads: string[]; accounts: string[] } {
  const seed = options.seed ?? 'usersync';
  const from = options.from ?? 0;
  const emit = org.emitChanges;
  org.emitChanges = options.events ?? false;
  const clock = org.clock.state();
  if (options.at) {
    const at = parseDatetime(options.at);
    if (Number.isNaN(at)) throw new Error(`Not a datetime: ${options.at}`);
    org.clock.set(at, true);
  }
  try {
    const accounts: string[] = [];
    for (let i = 0; i < (options.accounts ?? 0); i++) {
      accounts.push(
        org.create(
          'Account',
          { Name: `${pick(LAST, seed, `acct${from + i}`)} Labs ${from + i}` },
          { api: 'control' },
        ),
      );
    }
    const contacts: string[] = [];
    for (let i = 0; i < (options.contacts ?? 0); i++) {
      const fields: Record<string, unknown> = {
        ...seededContact(seed, from + i),
        ...options.fields,
      };
      if (accounts.length) fields.AccountId = accounts[i % accounts.length];
      contacts.push(org.create('Contact', fields, { api: 'control' }));
    }
    const leads: string[] = [];
    for (let i = 0; i < (options.leads ?? 0); i++) {
      const person = seededContact(`${seed}:lead`, from + i);
      leads.push(
        org.create(
          'Lead',
          {
            FirstName: person.FirstName,
            LastName: person.LastName,
            Email: person.Email.replace('@', '.lead@'),
            Company: `${person.LastName} Ltd`,
            LeadSource: person.LeadSource,
            ...options.fields,
          },
          { api: 'control' },
        ),
      );
    }
    return { contacts, leads, accounts };
  } finally {
    org.emitChanges = emit;
    org.clock.restore(clock);
  }
}
