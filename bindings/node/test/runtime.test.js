'use strict';
// Runtime info: every server names Node.js and this package in /hams/version
// and hams_build_info; setRuntime() overrides it while stopped.
//   node --test bindings/node/test/

const test = require('node:test');
const assert = require('node:assert/strict');
const http = require('node:http');
const { Hams, HamsError } = require('../hams');
const pkg = require('../package.json');

function get(port, urlPath) {
  return new Promise((resolve, reject) => {
    http
      .get({ host: '127.0.0.1', port, path: urlPath, agent: false }, (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (d) => (body += d));
        res.on('end', () => resolve(body));
      })
      .on('error', reject);
  });
}

test('a new server reports Node.js, hams-node and the package version', async () => {
  const h = new Hams('rt', '1.0.0', { address: '127.0.0.1:0' }).start();
  try {
    const v = JSON.parse(await get(h.port, '/hams/version'));
    assert.equal(v.runtime, `Node.js ${process.version}`);
    assert.equal(v.library, 'hams-node');
    assert.equal(v.library_version, pkg.version);
    assert.equal(v.hams_version, Hams.libraryVersion);
    const metrics = await get(h.port, '/hams/metrics');
    const info = metrics.split('\n').find((l) => l.startsWith('hams_build_info{'));
    assert.ok(info, metrics);
    assert.ok(info.includes(`runtime="Node.js ${process.version}"`), info);
    assert.ok(info.includes('library="hams-node"'), info);
    assert.ok(info.includes(`library_version="${pkg.version}"`), info);
  } finally {
    h.close();
  }
});

test('a server from YAML reports it too', async () => {
  const h = Hams.fromYaml('service:\n  name: rt-yaml\n  version: "1"\nserver:\n  address: 127.0.0.1:0\n').start();
  try {
    assert.equal(JSON.parse(await get(h.port, '/hams/version')).library, 'hams-node');
  } finally {
    h.close();
  }
});

test('setRuntime overrides it while stopped, and refuses once started or with bad text', async () => {
  const h = new Hams('rt', '1.0.0', { address: '127.0.0.1:0' });
  try {
    h.setRuntime('Node.js (framework)', 'hams-express', '9.1.0');
    assert.throws(() => h.setRuntime('', 'x', '1'), (e) => e instanceof HamsError && e.codeName === 'HAMS_ERR_INVALID');
    assert.throws(() => h.setRuntime('a\0b', 'x', '1'), HamsError);
    h.start();
    const v = JSON.parse(await get(h.port, '/hams/version'));
    assert.deepEqual([v.runtime, v.library, v.library_version], ['Node.js (framework)', 'hams-express', '9.1.0']);
    assert.throws(() => h.setRuntime('x', 'y', '1'), (e) => e instanceof HamsError && e.codeName === 'HAMS_ERR_STATE');
  } finally {
    h.close();
  }
});
