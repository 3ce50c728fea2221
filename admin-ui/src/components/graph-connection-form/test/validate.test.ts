/**
 * Internal dependencies
 */
import { validateGraphConnection } from '../validate';
import type { GraphConnectionValues } from '../types';

const values = (overrides: Partial<GraphConnectionValues>): GraphConnectionValues => ({
  name: 'Contoso',
  slug: '',
  tenantId: '72f988bf-86f1-41af-91ab-2d7cd011db47',
  clientId: '5b1f7e2c-3d4a-4f6b-8c9d-0e1f2a3b4c5d',
  clientSecret: 'secret',
  replaceSecret: false,
  cloud: 'global',
  b2c: false,
  photos: true,
  enabled: true,
  authorityUrl: '',
  graphUrl: '',
  pageSize: '500',
  concurrency: '4',
  ...overrides,
});

describe('validateGraphConnection', () => {
  it.each([
    ['a GUID', '72F988BF-86F1-41AF-91AB-2D7CD011DB47', true],
    ['the initial domain', 'contoso.onmicrosoft.com', true],
    ['a B2C tenant domain', 'contosob2c.onmicrosoft.com', true],
    ['a custom domain', 'contoso.co.uk', true],
    ['a word', 'contoso', false],
    ['nonsense', 'not-a-guid', false],
    ['a GUID cut short', '72f988bf-86f1-41af-91ab', false],
    ['a domain with a space', 'contoso .com', false],
  ])('tenant ID: %s (%s) is %s', (_, tenantId, valid) => {
    expect('tenantId' in validateGraphConnection(values({ tenantId }), true)).toBe(!valid);
  });

  it.each([
    ['a GUID', '5b1f7e2c-3d4a-4f6b-8c9d-0e1f2a3b4c5d', true],
    ['digits', '123', false],
    ['a domain', 'contoso.onmicrosoft.com', false],
    ['a GUID with braces', '{5b1f7e2c-3d4a-4f6b-8c9d-0e1f2a3b4c5d}', false],
  ])('client ID: %s (%s) is %s', (_, clientId, valid) => {
    expect('clientId' in validateGraphConnection(values({ clientId }), true)).toBe(!valid);
  });
});
