'use strict';
// examples/node/cluster.js end to end: ready once its 2 workers are
// attached, their requests counted in the primary's /hams/metrics, a killed
// worker replaced, and on SIGTERM readiness fails while the workers still
// answer, then the whole cluster ends.
const test = require('node:test');
const assert = require('node:assert/strict');
const http = require('node:http');
const path = require('node:path');
const { spawn } = require('node:child_process');

const example = path.join(__dirname, '..', '..', '..', 'examples', 'node', 'cluster.js');

function get(port, target) {
  return new Promise((resolve, reject) => {
    const req = http.get({ host: '127.0.0.1', port, path: target, agent: false }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode, body }));
    });
    req.on('error', reject);
    req.setTimeout(5000, () => req.destroy(new Error(`GET ${target}: timed out`)));
  });
}

async function until(what, cond, ms = 5000) {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = await cond();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

const COUNT = 'http_requests_total{route="/",code="200"} ';

async function count(hp) {
  const line = (await get(hp, '/hams/metrics')).body.split('\n').find((l) => l.startsWith(COUNT));
  return line === undefined ? 0 : Number(line.slice(COUNT.length));
}

test('the cluster example: workers attach, counts add up, SIGTERM drains', async (t) => {
  const env = { ...process.env };
  delete env.HAMS_WORKERS;
  const args = [example, '--port', '0', '--hams-address', '127.0.0.1:0', '--workers', '2', '--drain-ms', '1000'];
  const child = spawn(process.execPath, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
  t.after(() => child.kill('SIGKILL'));
  let out = '';
  let err = '';
  child.stdout.on('data', (d) => (out += d));
  child.stderr.on('data', (d) => (err += d));
  const exited = new Promise((r) => child.once('exit', (code, signal) => r({ code, signal })));

  const hp = Number((await until('hams on PORT', () => /hams on (\d+)/.exec(out)))[1]);
  await until('2 workers', () => (out.match(/worker \d+ on \d+/g) || []).length >= 2);
  const app = Number(/worker \d+ on (\d+)/.exec(out)[1]);
  await until('ready with 2 workers', async () => (await get(hp, '/hams/ready')).status === 200);

  for (let i = 0; i < 20; i++) assert.equal((await get(app, '/')).status, 200);
  assert.equal(await count(hp), 20);

  // A worker killed hard is replaced; its count stays.
  const victim = Number(/worker (\d+) on/.exec(out)[1]);
  process.kill(victim, 'SIGKILL');
  await until('the replacement', () => out.includes(`worker ${victim} ended`) && (out.match(/worker \d+ on \d+/g) || []).length >= 3);
  assert.equal(await count(hp), 20);
  await until('ready again', async () => (await get(hp, '/hams/ready?verbose')).body.split('http@').length === 3);

  child.kill('SIGTERM');
  await until('readiness fails', async () => (await get(hp, '/hams/ready')).status === 503, 1000);
  assert.equal((await get(app, '/')).status, 200, 'the workers answer during the drain');
  assert.equal(await count(hp), 21);
  const end = await Promise.race([exited, new Promise((r) => setTimeout(() => r('timeout'), 8000))]);
  assert.deepEqual(end, { code: 0, signal: null }, `the cluster ends after the drain; stderr: ${err}`);
});
