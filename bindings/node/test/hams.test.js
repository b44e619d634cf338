'use strict';
// Tests of the Node binding over a real server on 127.0.0.1:0:
//   node --test bindings/node/test/
// (HAMS_LIBRARY=path/to/libhams.so.0 when libhams is not installed).

const test = require('node:test');
const assert = require('node:assert/strict');
const http = require('node:http');
const { spawn } = require('node:child_process');
const path = require('node:path');
const { Hams, HamsError, setLogger } = require('../hams');

function get(port, urlPath, headers = {}) {
  return new Promise((resolve, reject) => {
    const req = http.get({ host: '127.0.0.1', port, path: urlPath, headers, agent: false }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d) => (body += d));
      res.on('end', () => resolve({ status: res.statusCode, body, headers: res.headers }));
    });
    req.on('error', reject);
    req.setTimeout(5000, () => req.destroy(new Error(`timeout on ${urlPath}`)));
  });
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

async function eventually(fn, timeoutMs = 3000) {
  const end = Date.now() + timeoutMs;
  let last;
  for (;;) {
    try {
      return await fn();
    } catch (e) {
      last = e;
    }
    if (Date.now() > end) throw last;
    await sleep(25);
  }
}

function server(name = 'node-test') {
  const h = new Hams(name, '1.2.3', { address: '127.0.0.1:0' });
  return h;
}

test('library loads and reports its version', () => {
  assert.match(Hams.libraryVersion, /^\d+\.\d+\.\d+/);
  assert.ok(Hams.libraryPath);
});

test('start, port, version endpoint, stop and restart', async () => {
  const h = server();
  try {
    assert.throws(() => h.port, (e) => e instanceof HamsError && e.code === -3 && e.codeName === 'HAMS_ERR_STATE');
    h.start();
    assert.ok(h.port > 0);
    const r = await get(h.port, '/hams/version');
    assert.equal(r.status, 200);
    const v = JSON.parse(r.body);
    assert.equal(v.service, 'node-test');
    assert.equal(v.version, '1.2.3');
    assert.equal(v.hams_version, Hams.libraryVersion);
    assert.equal((await get(h.port, '/hams/alive')).status, 200);
    assert.throws(() => h.start(), (e) => e.code === -3);
    h.stop();
    assert.throws(() => h.port, HamsError);
    h.start();
    assert.equal((await get(h.port, '/hams/ready')).status, 200);
  } finally {
    h.close();
  }
});

test('manual probe: set healthy and unhealthy with a reason', async () => {
  const h = server();
  try {
    const db = h.probeManual('db', { checks: ['ready'] });
    h.start();
    let r = await get(h.port, '/hams/ready?verbose');
    assert.equal(r.status, 503);
    assert.match(r.body, /\[-\]db failed/);
    db.set(true);
    r = await get(h.port, '/hams/ready?verbose');
    assert.equal(r.status, 200);
    assert.match(r.body, /\[\+\]db ok/);
    db.set(false, 'connection refused');
    r = await get(h.port, '/hams/ready/db?verbose');
    assert.equal(r.status, 503);
    assert.match(r.body, /connection refused/);
    r = await get(h.port, '/hams/ready', { accept: 'application/json' });
    const j = JSON.parse(r.body);
    assert.equal(j.status, 'DOWN');
    assert.equal(j.checks[0].name, 'db');
    // alive is not affected by a ready probe
    assert.equal((await get(h.port, '/hams/alive')).status, 200);
    assert.equal((await get(h.port, '/hams/ready/nope')).status, 404);
  } finally {
    h.close();
  }
});

test('checks accept names, arrays and bits', async () => {
  const h = server();
  try {
    h.probeManual('a', { checks: 'alive' });
    h.probeManual('b', { checks: Hams.STARTUP | Hams.READY, healthy: true });
    assert.throws(() => h.probeManual('c', { checks: ['nope'] }), (e) => e instanceof HamsError && e.code === -2);
    assert.throws(() => h.probeManual('d', { checks: 0 }), (e) => e instanceof HamsError && /check/.test(e.message));
    h.start();
    assert.equal((await get(h.port, '/hams/alive')).status, 503);
    assert.equal((await get(h.port, '/hams/startup')).status, 200);
  } finally {
    h.close();
  }
});

test('kick probe fails after its margin and recovers when kicked', async () => {
  const h = server();
  try {
    const loop = h.probeKick('loop', { marginMs: 200 });
    h.start();
    loop.kick();
    assert.equal((await get(h.port, '/hams/alive')).status, 200);
    await sleep(400);
    const r = await get(h.port, '/hams/alive?verbose');
    assert.equal(r.status, 503);
    assert.match(r.body, /\[-\]loop failed/);
    loop.kick();
    assert.equal((await get(h.port, '/hams/alive')).status, 200);
    assert.throws(() => h.probeKick('k2', { marginMs: 0 }), (e) => e instanceof HamsError && e.code === null);
    assert.throws(() => h.probeKick('k3', {}), TypeError);
  } finally {
    h.close();
  }
});

test('errors carry hams_last_error text and the code', () => {
  const h = server();
  try {
    assert.throws(
      () => h.probeManual('bad name'),
      (e) => e instanceof HamsError && e instanceof Error && e.message.includes('probe name "bad name" has the character \' \''),
    );
    h.probeManual('dup');
    assert.throws(() => h.probeManual('dup'), (e) => e instanceof HamsError && /dup/.test(e.message));
    assert.throws(() => h.setAddress('not an address'), (e) => e.code === -2 && e.codeName === 'HAMS_ERR_INVALID' && e.message.length > 0);
    assert.throws(() => new Hams('', '1.0'), (e) => e instanceof HamsError && e.call === 'hams_new');
    assert.throws(() => new Hams('svc', '1.0', { address: 'nope' }), HamsError);
    assert.throws(() => h.probeManual('nul\0name'), (e) => e instanceof HamsError && /NUL/.test(e.message));
    assert.throws(() => h.counter('no_suffix', 'help'), (e) => e instanceof HamsError && /_total/.test(e.message));
    assert.throws(() => h.histogram('h_seconds', 'help', [2, 1]), HamsError);
    assert.throws(() => h.wait('x'), TypeError);
  } finally {
    h.close();
  }
});

test('port in use is HAMS_ERR_IO', () => {
  const a = server();
  const b = server();
  try {
    a.start();
    b.setAddress(`127.0.0.1:${a.port}`);
    assert.throws(() => b.start(), (e) => e.code === -4 && e.codeName === 'HAMS_ERR_IO' && e.message.length > 0);
  } finally {
    a.close();
    b.close();
  }
});

test('check(): sync, [bool, reason], exceptions, async and timeouts', async () => {
  const h = server();
  try {
    let healthy = true;
    let runs = 0;
    const sync = h.check('sync', () => (runs++, healthy), { intervalMs: 50 });
    h.check('reasoned', () => [false, 'disk full'], { intervalMs: 50 });
    h.check('throws', () => {
      throw new Error('boom');
    }, { intervalMs: 50 });
    h.check('async', async () => {
      await sleep(10);
      return { healthy: false, reason: 'async says no' };
    }, { intervalMs: 50 });
    h.check('hangs', () => new Promise(() => {}), { intervalMs: 50, timeoutMs: 100 });
    h.check('alivecheck', () => true, { intervalMs: 50, checks: ['alive'] });
    h.start();
    await eventually(async () => {
      const r = await get(h.port, '/hams/ready?verbose');
      assert.match(r.body, /\[\+\]sync ok/);
      assert.match(r.body, /\[-\]reasoned failed: disk full/);
      assert.match(r.body, /\[-\]throws failed: boom/);
      assert.match(r.body, /\[-\]async failed: async says no/);
      assert.match(r.body, /\[-\]hangs failed: check timed out after 100 ms/);
    });
    assert.equal((await get(h.port, '/hams/alive')).status, 200);
    healthy = false;
    await eventually(async () => {
      assert.match((await get(h.port, '/hams/ready/sync?verbose')).body, /\[-\]sync failed: check failed/);
    });
    const before = runs;
    await sleep(200);
    assert.ok(runs > before, 'the check keeps running on its interval');
    sync.free();
    const after = runs;
    await sleep(150);
    assert.equal(runs, after, 'a freed check is not run again');
    assert.equal((await get(h.port, '/hams/ready/sync')).status, 404);
    assert.throws(() => sync.set(true), HamsError);
    assert.throws(() => h.check('bad', () => true, { intervalMs: 0 }), HamsError);
    assert.throws(() => h.check('bad', 'nope'), TypeError);
  } finally {
    h.close();
  }
});

test('check(): not checked yet before the first run', async () => {
  const h = server();
  try {
    h.check('slow', () => new Promise((r) => setTimeout(() => r(true), 300)), { intervalMs: 1000, timeoutMs: 2000 });
    h.start();
    const r = await get(h.port, '/hams/ready?verbose');
    assert.match(r.body, /\[-\]slow failed: not checked yet/);
    await eventually(async () => assert.equal((await get(h.port, '/hams/ready')).status, 200));
  } finally {
    h.close();
  }
});

test('metrics: counter, gauge, histogram, labels and free', async () => {
  const h = server();
  try {
    const c = h.counter('jobs_total', 'Jobs done.');
    c.inc();
    c.inc(2.5);
    const mail = h.counter('queue_jobs_total', 'Jobs by queue.', { queue: 'mail' });
    const sms = h.counter('queue_jobs_total', 'Jobs by queue.', ['queue', 'sms']);
    mail.inc(4);
    sms.inc();
    const g = h.gauge('temperature_celsius', 'Temperature.');
    g.set(20);
    g.add(-1.5);
    const hist = h.histogram('latency_seconds', 'Latency.', [0.1, 0.5, 1]);
    hist.observe(0.05);
    hist.observe(0.7);
    h.start();
    let body = (await get(h.port, '/hams/metrics')).body;
    assert.match(body, /^# TYPE jobs_total counter$/m);
    assert.match(body, /^jobs_total 3\.5$/m);
    assert.match(body, /^queue_jobs_total\{queue="mail"\} 4$/m);
    assert.match(body, /^queue_jobs_total\{queue="sms"\} 1$/m);
    assert.match(body, /^temperature_celsius 18\.5$/m);
    assert.match(body, /^latency_seconds_bucket\{le="0\.1"\} 1$/m);
    assert.match(body, /^latency_seconds_bucket\{le="1"\} 2$/m);
    assert.match(body, /^latency_seconds_count 2$/m);
    assert.throws(() => c.inc(-1), (e) => e instanceof HamsError && e.code === -2);
    assert.throws(() => hist.observe(NaN), HamsError);
    c.free();
    assert.throws(() => c.inc(), HamsError);
    body = (await get(h.port, '/hams/metrics')).body;
    assert.doesNotMatch(body, /^jobs_total/m);
  } finally {
    h.close();
  }
});

test('fromYaml, probe(name) and configuration errors', async () => {
  const h = Hams.fromYaml(
    [
      'service:',
      '  name: yaml-svc',
      '  version: 9.9.9',
      'server:',
      '  address: 127.0.0.1:0',
      'probes:',
      '  - name: warm',
      '    type: manual',
      '    checks: [ready]',
      '    healthy: false',
      '',
    ].join('\n'),
  );
  try {
    const warm = h.probe('warm');
    assert.ok(warm);
    assert.equal(h.probe('warm'), warm);
    assert.equal(h.probe('nope'), null);
    h.start();
    assert.equal(JSON.parse((await get(h.port, '/hams/version')).body).service, 'yaml-svc');
    assert.equal((await get(h.port, '/hams/ready')).status, 503);
    warm.set(true);
    assert.equal((await get(h.port, '/hams/ready')).status, 200);
    assert.throws(() => warm.kick(), HamsError);
  } finally {
    h.close();
  }
  assert.throws(() => Hams.fromYaml('service: [unclosed'), (e) => e instanceof HamsError && e.call === 'hams_new_from_yaml' && e.message.length > 0);
  assert.throws(() => Hams.fromYaml('server:\n  address: 127.0.0.1:0\n'), (e) => /service/.test(e.message));
});

test('shutdown: readiness fails at once, callbacks run, wait() turns true', async () => {
  const h = Hams.fromYaml('service:\n  name: s\n  version: "1"\nserver:\n  address: 127.0.0.1:0\nshutdown:\n  drain_ms: 200\n');
  try {
    const order = [];
    h.onShutdown(() => order.push('first'));
    h.onShutdown(() => order.push('second'));
    h.onShutdown(() => {
      throw new Error('ignored');
    });
    h.on('shutdown', () => order.push('event'));
    h.start();
    assert.equal(h.wait(0), false);
    assert.equal((await get(h.port, '/hams/ready')).status, 200);
    const t = Date.now();
    h.shutdown();
    h.shutdown(); // harmless
    const r = await get(h.port, '/hams/ready?verbose');
    assert.equal(r.status, 503);
    assert.match(r.body, /shutting down/);
    assert.equal((await get(h.port, '/hams/alive')).status, 200);
    assert.equal(order.length, 0);
    assert.equal(h.wait(50), false);
    assert.equal(h.wait(-1), true);
    assert.ok(Date.now() - t >= 190, 'the drain passed');
    assert.deepEqual(order, ['first', 'second', 'event']);
    assert.equal(h.wait(0), true);
    assert.deepEqual(order, ['first', 'second', 'event'], 'callbacks run once');
  } finally {
    h.close();
  }
});

test('shutdown callbacks run without anyone waiting (event loop poll)', async () => {
  const h = Hams.fromYaml('service:\n  name: s\n  version: "1"\nserver:\n  address: 127.0.0.1:0\nshutdown:\n  drain_ms: 0\n');
  try {
    const done = new Promise((resolve) => h.onShutdown(resolve));
    h.shutdown();
    await done;
    assert.equal(h.wait(0), true);
  } finally {
    h.close();
  }
});

test('close() is idempotent and handles become invalid', () => {
  const h = server();
  const p = h.probeManual('p');
  const g = h.gauge('g', 'gauge');
  h.start();
  h.close();
  h.close();
  assert.ok(h.closed);
  assert.throws(() => h.start(), (e) => e instanceof HamsError && /closed/.test(e.message));
  assert.throws(() => p.set(true), HamsError);
  assert.throws(() => g.set(1), HamsError);
  assert.throws(() => h.wait(0), HamsError);
});

test('logger: records reach a JavaScript function asynchronously', async () => {
  const records = [];
  setLogger((level, target, message) => records.push({ level, target, message }), 'info');
  const h = server();
  try {
    h.start();
    h.stop();
    await eventually(() => {
      assert.ok(records.some((r) => r.level === 3 && r.target.startsWith('hams') && r.message.length > 0), JSON.stringify(records));
    });
  } finally {
    h.close();
    setLogger(null);
  }
  assert.throws(() => setLogger(() => {}, 9), HamsError);
});

test('handleSignals: SIGTERM starts the sequence and the process exits 0', async () => {
  const script = `
    const { Hams } = require(${JSON.stringify(path.join(__dirname, '..', 'hams.js'))});
    const h = Hams.fromYaml('service:\\n  name: sig\\n  version: "1"\\nserver:\\n  address: 127.0.0.1:0\\nshutdown:\\n  drain_ms: 100\\n');
    h.handleSignals(true);
    h.onShutdown(() => console.log('callback'));
    h.start();
    console.log('port ' + h.port);
    setInterval(() => { if (h.wait(0)) { console.log('stopped'); h.close(); process.exit(0); } }, 20);
  `;
  const child = spawn(process.execPath, ['-e', script], { stdio: ['ignore', 'pipe', 'inherit'] });
  let out = '';
  const port = await new Promise((resolve, reject) => {
    child.stdout.on('data', (d) => {
      out += d;
      const m = /port (\d+)/.exec(out);
      if (m) resolve(Number(m[1]));
    });
    child.on('exit', () => reject(new Error(`exited early: ${out}`)));
  });
  assert.equal((await get(port, '/hams/ready')).status, 200);
  const exited = new Promise((resolve) => child.on('exit', (code, sig) => resolve([code, sig])));
  child.kill('SIGTERM');
  const [code, sig] = await exited;
  assert.deepEqual([code, sig], [0, null]);
  assert.match(out, /callback\nstopped\n/);
});
