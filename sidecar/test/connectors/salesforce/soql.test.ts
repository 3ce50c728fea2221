// SOQL text: literal escaping (quotes, backslashes, control characters), datetime literals
// in UTC, the keyset condition, and the checks on an admin's WHERE fragment.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  SoqlError,
  buildSelect,
  filterProblem,
  keysetAfter,
  parseSalesforceDateTime,
  soqlDateTime,
  soqlIn,
  soqlLikeLiteral,
  soqlName,
  soqlString,
} from '../../../src/connectors/salesforce/soql.js';

describe('SOQL literals', () => {
  it('escapes quotes and backslashes so a value cannot end its string', () => {
    assert.equal(soqlString("O'Brien"), "'O\\'Brien'");
    assert.equal(soqlString('back\\slash'), "'back\\\\slash'");
    // The classic injection: the quote is escaped, the rest stays inside the literal.
    assert.equal(soqlString("x' OR Name != '"), "'x\\' OR Name != \\''");
    assert.equal(soqlString("a\\'b"), "'a\\\\\\'b'");
    assert.equal(soqlString('two\nlines\t"q"'), '\'two\\nlines\\t\\"q\\"\'');
  });

  it('escapes LIKE wildcards only in LIKE patterns', () => {
    assert.equal(soqlLikeLiteral('50%_off'), "'50\\%\\_off'");
    assert.equal(soqlString('50%_off'), "'50%_off'");
  });

  it('writes datetimes unquoted in UTC, whatever offset they came with', () => {
    assert.equal(soqlDateTime('2024-01-01T02:00:00.000+0200'), '2024-01-01T00:00:00Z');
    assert.equal(soqlDateTime(new Date('2024-03-05T10:11:12.345Z')), '2024-03-05T10:11:12.345Z');
    assert.equal(soqlDateTime('2024-03-05T10:11:12Z'), '2024-03-05T10:11:12Z');
    assert.throws(() => soqlDateTime('yesterday'), SoqlError);
    assert.equal(
      parseSalesforceDateTime('2013-05-20T20:49:32.000+0000')?.toISOString(),
      '2013-05-20T20:49:32.000Z',
    );
  });

  it('refuses names that are not API names', () => {
    assert.equal(soqlName('MailingAddress'), 'MailingAddress');
    assert.equal(soqlName('Account.Name'), 'Account.Name');
    assert.throws(() => soqlName('Email FROM User --'), SoqlError);
    assert.throws(() => soqlName('1Email'), SoqlError);
  });

  it('builds IN lists of escaped values', () => {
    assert.equal(soqlIn('Id', ['a', "b'c"]), "Id IN ('a', 'b\\'c')");
    assert.throws(() => soqlIn('Id', []), SoqlError);
  });
});

describe('SOQL queries', () => {
  it('builds the keyset query with the parentheses SOQL needs around OR', () => {
    const soql = buildSelect({
      fields: ['Id', 'SystemModstamp', 'Email', 'Id'],
      from: 'Contact',
      where: [
        keysetAfter({ modstamp: '2024-01-01T00:00:00.000Z', id: '003000000000001AAA' }),
        "LeadSource = 'Web' OR LeadSource = 'Phone'",
      ],
      orderBy: ['SystemModstamp', 'Id'],
      limit: 2000,
    });
    assert.equal(
      soql,
      "SELECT Id, SystemModstamp, Email FROM Contact WHERE ((SystemModstamp > 2024-01-01T00:00:00Z OR (SystemModstamp = 2024-01-01T00:00:00Z AND Id > '003000000000001AAA'))) AND (LeadSource = 'Web' OR LeadSource = 'Phone') ORDER BY SystemModstamp, Id LIMIT 2000",
    );
  });

  it('starts a pass at an instant with >= (no Id yet)', () => {
    assert.equal(
      keysetAfter({ modstamp: '2024-01-01T00:05:00Z', id: '' }),
      'SystemModstamp >= 2024-01-01T00:05:00Z',
    );
  });

  it('leaves out empty conditions and refuses a bad LIMIT', () => {
    assert.equal(
      buildSelect({ fields: ['Id'], from: 'Lead', where: [null, '', false] }),
      'SELECT Id FROM Lead',
    );
    assert.throws(() => buildSelect({ fields: ['Id'], from: 'Lead', limit: 0 }), SoqlError);
  });

  it('accepts conditions as filters and refuses what would change the query', () => {
    assert.equal(filterProblem("LeadSource = 'Web'"), null);
    assert.equal(filterProblem("Name LIKE '%(x%' AND (A = 1 OR B = 2)"), null);
    assert.equal(
      filterProblem("AccountId IN (SELECT Id FROM Account WHERE Type = 'x' LIMIT 5)"),
      null,
    );
    assert.match(filterProblem('A = 1) OR (B = 2')!, /without its/);
    assert.match(filterProblem("Name = 'open")!, /unterminated/);
    assert.match(filterProblem('A = 1 ORDER BY Name')!, /ORDER BY/);
    assert.match(filterProblem('A = 1 LIMIT 1')!, /LIMIT/);
    assert.equal(filterProblem("Name = 'ORDER BY'"), null);
  });
});
