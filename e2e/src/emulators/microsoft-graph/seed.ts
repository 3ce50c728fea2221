// Deterministic tenants: the same seed and count always give the same users (ids, names,
// departments, photos) and groups, so tests and benchmarks can name what they expect.
import crypto from 'node:crypto';
import zlib from 'node:zlib';

import type { Directory, GraphProps } from './directory.js';

const FIRST = [
  'Adele',
  'Alex',
  'Allan',
  'Bianca',
  'Brian',
  'Cameron',
  'Christie',
  'Debra',
  'Diego',
  'Emily',
  'Enrico',
  'Grady',
  'Henrietta',
  'Irvin',
  'Isaiah',
  'Johanna',
  'Joni',
  'Lee',
  'Lidia',
  'Lynne',
  'Megan',
  'Miriam',
  'Nestor',
  'Patti',
  'Pradeep',
  'Raul',
  'Sanjay',
  'Sofia',
  'Tomás',
  'Yuki',
];
const LAST = [
  'Vance',
  'Wilber',
  'Deyoung',
  'Pires',
  'Johnson',
  'White',
  'Cline',
  'Berg',
  'Soto',
  'Braun',
  'Catteneo',
  'Archie',
  'Mueller',
  'Sayers',
  'Gómez',
  'Lauren',
  'Sherman',
  'Gu',
  'Holloway',
  'Robbins',
  'Bowen',
  'Graham',
  'Wilke',
  'Fernandez',
  'Gupta',
  'Nakamura',
  'Okafor',
  'Dubois',
  'Kowalski',
  'Larsen',
];
const DEPARTMENTS = ['Sales', 'Marketing', 'Engineering', 'Finance', 'Operations', 'Legal'];
const TITLES = ['Analyst', 'Engineer', 'Manager', 'Director', 'Specialist', 'Consultant'];
const CITIES = ['Redmond', 'Seattle', 'Dublin', 'Munich', 'Tokyo', 'São Paulo'];

/** Groups every seeded tenant has, with who belongs to them (by user index). */
export const SEEDED_GROUPS: { displayName: string; member: (index: number) => boolean }[] = [
  { displayName: 'Site Editors', member: (i) => i % 10 === 0 },
  { displayName: 'Site Authors', member: (i) => i % 10 === 1 || i % 10 === 2 },
  { displayName: 'All Staff', member: () => true },
];

export interface SeedOptions {
  /** Any string; the same seed gives the same tenant. */
  seed?: string;
  users?: number;
  /** One user in `photoEvery` has a profile photo (0 = none). */
  photoEvery?: number;
  /** Create the SEEDED_GROUPS. */
  groups?: boolean;
}

/** A stable GUID for (seed, kind, index). */
export function seededId(seed: string, kind: string, index: number): string {
  const hex = crypto.createHash('sha1').update(`${seed}:${kind}:${index}`).digest('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-4${hex.slice(13, 16)}-a${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
}

/** The properties of seeded user `index` (also what tests compare WordPress against). */
export function seededUser(directory: Directory, seed: string, index: number): GraphProps {
  const first = FIRST[index % FIRST.length]!;
  const last = LAST[Math.floor(index / FIRST.length) % LAST.length]!;
  const local = `${ascii(first)}.${ascii(last)}${index}`.toLowerCase();
  const company = directory.domain.split('.')[0]!;
  const props: GraphProps = {
    displayName: `${first} ${last}`,
    givenName: first,
    surname: last,
    jobTitle: TITLES[index % TITLES.length],
    department: DEPARTMENTS[index % DEPARTMENTS.length],
    employeeId: `E${String(index).padStart(6, '0')}`,
    companyName: company.charAt(0).toUpperCase() + company.slice(1),
    businessPhones: [`+1 425 555 ${String(index % 10_000).padStart(4, '0')}`],
    mobilePhone: null,
    officeLocation: `${CITIES[index % CITIES.length]} ${(index % 40) + 1}`,
    city: CITIES[index % CITIES.length],
    preferredLanguage: 'en-US',
    mailNickname: local.replace(/\./g, ''),
    accountEnabled: true,
  };
  if (directory.b2c) {
    const email = `${local}@example.com`;
    props.userPrincipalName = `${seededId(seed, 'upn', index).replace(/-/g, '')}@${directory.domain}`;
    props.mail = null;
    props.otherMails = [email];
    props.identities = [
      { signInType: 'emailAddress', issuer: directory.domain, issuerAssignedId: email },
      {
        signInType: 'userPrincipalName',
        issuer: directory.domain,
        issuerAssignedId: props.userPrincipalName,
      },
    ];
  } else {
    props.userPrincipalName = `${local}@${directory.domain}`;
    props.mail = `${local}@${company}.example.com`;
    props.otherMails = [];
    props.identities = [
      {
        signInType: 'userPrincipalName',
        issuer: directory.domain,
        issuerAssignedId: props.userPrincipalName,
      },
    ];
  }
  return props;
}

/** Fills an empty directory. */
export function seedDirectory(directory: Directory, options: SeedOptions = {}): void {
  const seed = options.seed ?? 'usersync';
  const count = options.users ?? 100;
  const photoEvery = options.photoEvery ?? 10;
  for (let index = 0; index < count; index++) {
    const user = directory.createUser(
      seededUser(directory, seed, index),
      seededId(seed, 'user', index),
    );
    if (photoEvery > 0 && index % photoEvery === 0) {
      directory.setPhoto(user.id, solidPng(seed, index));
    }
  }
  if (options.groups ?? true) {
    SEEDED_GROUPS.forEach((group, g) => {
      const members: string[] = [];
      for (let index = 0; index < count; index++) {
        if (group.member(index)) members.push(seededId(seed, 'user', index));
      }
      directory.createGroup(group.displayName, members, seededId(seed, 'group', g));
    });
  }
}

function ascii(value: string): string {
  return value.normalize('NFD').replace(/[\u0300-\u036f]/g, '');
}

/** A small one-colour PNG, different for every (seed, index, version). */
export function solidPng(
  seed: string,
  index: number,
  version = 0,
): { contentType: string; data: Buffer } {
  const [r, g, b] = crypto.createHash('sha1').update(`${seed}:${index}:${version}`).digest();
  const size = 16;
  const row = Buffer.alloc(1 + size * 3);
  for (let x = 0; x < size; x++) row.set([r!, g!, b!], 1 + x * 3);
  const raw = Buffer.concat(Array.from({ length: size }, () => row));
  const header = Buffer.alloc(13);
  header.writeUInt32BE(size, 0);
  header.writeUInt32BE(size, 4);
  header.set([8, 2, 0, 0, 0], 8); // 8-bit RGB
  const data = Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', header),
    chunk('IDAT', zlib.deflateSync(raw)),
    chunk('IEND', Buffer.alloc(0)),
  ]);
  return { contentType: 'image/png', data };
}

function chunk(type: string, body: Buffer): Buffer {
  const length = Buffer.alloc(4);
  length.writeUInt32BE(body.length);
  const typed = Buffer.concat([Buffer.from(type, 'ascii'), body]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(typed));
  return Buffer.concat([length, typed, crc]);
}

const CRC_TABLE = Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});

function crc32(buffer: Buffer): number {
  let crc = 0xffffffff;
  for (const byte of buffer) crc = CRC_TABLE[(crc ^ byte) & 0xff]! ^ (crc >>> 8);
  return (crc ^ 0xffffffff) >>> 0;
}
