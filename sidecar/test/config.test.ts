import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ConfigError, isLoopbackHost, loadConfig } from '../src/config.js';

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

  it('refuses to listen beyond loopback without SIDECAR_API_KEY, in one line', () => {
    for (const HOST of ['0.0.0.0', '::', '192.168.1.20', 'sidecar.internal']) {
      assert.throws(
        () => loadConfig({ ...base, HOST }),
        (error: unknown) => {
          assert.ok(error instanceof ConfigError);
          assert.equal(error.problems.length, 1, error.message);
          assert.equal(
            error.problems[0],
            `SIDECAR_API_KEY is required when HOST is not a loopback address (HOST=${HOST}): set it to the value of USERSYNC_SIDECAR_KEY in wp-config.php, or listen on 127.0.0.1`,
          );
          return true;
        },
        HOST,
      );
    }
  });

  it('reports a missing key beside the other bad values', () => {
    assert.throws(
      () => loadConfig({ WP_URL: base.WP_URL, HOST: '0.0.0.0' }),
      (error: unknown) => {
        assert.ok(error instanceof ConfigError);
        assert.match(error.message, /WP_USER is required/);
        assert.match(error.message, /SIDECAR_API_KEY is required when HOST is not a loopback/);
        return true;
      },
    );
  });

  it('listens anywhere with a key, and on loopback without one', () => {
    const key = 'a-long-enough-sidecar-key';
    assert.equal(loadConfig({ ...base, HOST: '0.0.0.0', SIDECAR_API_KEY: key }).apiKey, key);
    for (const HOST of ['127.0.0.1', '127.10.0.3', '::1', 'localhost', 'LOCALHOST', '[::1]']) {
      const config = loadConfig({ ...base, HOST });
      assert.equal(config.apiKey, null, HOST);
    }
  });

  it('knows which hosts are loopback', () => {
    for (const host of ['127.0.0.1', '127.255.255.254', '::1', '::ffff:127.0.0.1', 'localhost'])
      assert.equal(isLoopbackHost(host), true, host);
    for (const host of [
      '0.0.0.0',
      '::',
      '128.0.0.1',
      '10.0.0.1',
      'localhost.example.com',
      '1.127.0.0',
    ])
      assert.equal(isLoopbackHost(host), false, host);
  });
});
