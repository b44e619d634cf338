'use strict';
// examples/node/express-app.js as a real process: ready only after listen,
// SIGTERM drains while Express keeps answering, then server.close() ends it.
//   node --test bindings/node/test/   (express: npm install in bindings/node)

const test = require('node:test');
const assert = require('node:assert/strict');
const http = require('node:http');
const { spawn } = require('node:child_process');
const path = require('node:path');

const app = path.join(__dirname, '../../../examples/node/express-app.js');
let hasExpress = true;
try {
  require.resolve('express');
} catch (_) {
  hasExpress = false;
}

function get(port, urlPath) {
  return new Promise((resolve, reject) => {
    const req = http.get({ host: '127.0.0.1', port, path: urlPath, agent: false }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d) => (body += d));
      res.on('end', () => resolve({ status: res.statusCode, body }));
    });
    req.on('error', reject);
    req.setTimeout(5000, () => req.destroy(new Error(`timeout on ${urlPath}`)));
  });
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** Resolves with the first match of re in the child's stdout. */
function waitForLine(child, re, timeoutMs = 10000) {
  return new Promise((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => reject(new Error(`no ${re} in: ${out}`)), timeoutMs);
    const onData = (d) => {
      out += d;
      const m = out.match(re);
      if (m) {
        clearTimeout(timer);
        child.stdout.off('data', onData);
        resolve(m);
      }
    };
    child.stdout.on('data', onData);
  });
}

test('express app: ready after listen, answers during the drain, exits after server.close()', { skip: !hasExpress && 'express not installed' }, async () => {
  const child = spawn(
    process.execPath,
    [app, '--port', '0', '--hams-address', '127.0.0.1:0', '--drain-ms', '3000', '--listen-delay-ms', '1500'],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  );
  child.stdout.setEncoding('utf8');
  const exited = new Promise((resolve) => child.on('exit', (code, signal) => resolve({ code, signal })));
  try {
    const hamsPort = Number((await waitForLine(child, /hams on (\d+)/))[1]);
    const expressLine = waitForLine(child, /express on (\d+)/);
    // Before listen: not ready.
    const early = await get(hamsPort, '/hams/ready');
    assert.equal(early.status, 503, early.body);
    const expressPort = Number((await expressLine)[1]);
    let ready;
    for (let i = 0; i < 100; i++) {
      ready = await get(hamsPort, '/hams/ready');
      if (ready.status === 200) break;
      await sleep(20);
    }
    assert.equal(ready.status, 200, ready.body);
    assert.equal((await get(expressPort, '/')).status, 200);

    const closed = waitForLine(child, /drained: closing the server/, 10000);
    closed.catch(() => {}); // awaited below; a failure before that must not go unhandled
    child.kill('SIGTERM');
    // During the drain: readiness fails, Express answers every request.
    let sawNotReady = false;
    let answered = 0;
    const drainEnd = Date.now() + 2000; // well inside the 3 s drain, even on a loaded machine
    while (Date.now() < drainEnd) {
      const r = await get(expressPort, `/orders/${answered}`);
      assert.equal(r.status, 200, r.body);
      assert.deepEqual(JSON.parse(r.body), { id: String(answered) });
      answered++;
      if (!sawNotReady) sawNotReady = (await get(hamsPort, '/hams/ready')).status === 503;
      await sleep(20);
    }
    assert.ok(sawNotReady, 'readiness did not fail during the drain');
    assert.ok(answered >= 10, `only ${answered} requests answered during the drain`);
    const metrics = await get(hamsPort, '/hams/metrics');
    assert.match(metrics.body, /http_requests_total\{route="\/orders\/:id",code="200"\} \d+/);
    assert.match(metrics.body, /http_request_seconds_bucket\{le="0.005"\} \d+/);

    await closed;
    const { code, signal } = await exited;
    assert.equal(signal, null);
    assert.equal(code, 0);
    await assert.rejects(get(expressPort, '/'), /ECONNREFUSED/);
  } finally {
    child.kill('SIGKILL');
  }
});
