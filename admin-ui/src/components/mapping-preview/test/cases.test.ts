/**
 * The Preview on the sidecar's table of cases (sidecar/test/provisioning/cases.json): what it
 * shows for each row is what SCIM writes, pulls and peer pushes give for the same person.
 */

/**
 * Internal dependencies
 */
import type { AttributeMapping } from '../../../api';
import cases from '../../../../../sidecar/test/provisioning/cases.json';
import { previewUser } from '../preview';

interface Case {
  name: string;
  person: Record<string, unknown>;
  rows: Partial<AttributeMapping>[];
  expect: Record<string, string | null>;
}

const rowsOf = (c: Case): AttributeMapping[] =>
  c.rows.map(
    (row) =>
      ({
        source: '',
        target: '',
        direction: 'both',
        transform: 'none',
        default: null,
        ...row,
      }) as AttributeMapping,
  );

describe('Preview: the one table of cases', () => {
  it.each((cases.cases as unknown as Case[]).map((c) => [c.name, c] as const))('%s', (_name, c) => {
    const shown = Object.fromEntries(
      previewUser(c.person, rowsOf(c)).map((row) => [row.target, row.value ?? null]),
    );
    expect(shown).toEqual(c.expect);
  });
});
