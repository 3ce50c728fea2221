import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ConfigError, loadConfig } from '../src/config.js';

const base = {
  WP_URL: 'http://127.0.0.1:8080/',
  WP_USER: 'usersync-service',
  WP_APP_PASSWORD: 'abcd efgh',
};

describe('loadConfig', () => {
  it('applies defaults and trims the site URL', () => {
    const config = loadConfig(base);
    assert.equal(config.wordpress.url, 'http://127.0.0.1:8080');
    assert.equal(config.http.port, 8787);
    assert.equal(config.http.publicUrl, 'http://127.0.0.1:8787');
    assert.deepEqual(config.store, { kind: 'sqlite', path: '.usersync/sidecar.sqlite' });
    assert.equal(config.apiKey, null);
    assert.equal(config.wordpress.retries, 3);
  });

  it('chooses PostgreSQL when DATABASE_URL is set', () => {
    const config = loadConfig({ ...base, DATABASE_URL: 'postgres://localhost/usersync' });
    assert.deepEqual(config.store, { kind: 'postgres', url: 'postgres://localhost/usersync' });
  });

  it('treats empty variables as unset', () => {
    const config = loadConfig({ ...base, PORT: '', DATABASE_URL: '' });
    assert.equal(config.http.port, 8787);
    assert.equal(config.store.kind, 'sqlite');
  });

  it('lists every bad value in one error', () => {
    assert.throws(
      () =>
        loadConfig({
          WP_URL: 'ftp://example.com',
          PORT: '70000',
          DATABASE_URL: 'mysql://x',
          SIDECAR_API_KEY: 'short',
          LOG_LEVEL: 'loud',
          WP_RETRIES: '1.5',
        }),
      (error: unknown) => {
        assert.ok(error instanceof ConfigError);
        const text = error.problems.join('\n');
        for (const expected of [
          'WP_URL must be an http(s) URL',
          'WP_USER is required',
          'WP_APP_PASSWORD is required',
          'PORT must be a whole number from 0 to 65535',
          'DATABASE_URL must be a postgres:// URL',
          'SIDECAR_API_KEY must be at least 16 characters',
          'LOG_LEVEL must be one of',
          'WP_RETRIES must be a whole number from 0 to 10',
        ]) {
          assert.match(text, new RegExp(expected.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')));
        }
        return true;
      },
    );
  });
});
