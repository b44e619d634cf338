'use strict';
// Status listeners ('change' events), checkState, probe thresholds and
// shuttingDown, over a real server on 127.0.0.1:0:
//   node --test bindings/node/test/
// (HAMS_LIBRARY=path/to/libhams.so.0 when libhams is not installed).

const test = require('node:test');
const assert = require('node:assert/strict');
const http = require('node:http');
const { spawn } = require('node:child_process');
const path = require('node:path');
const { Hams, HamsError, setLogger } = require('../hams');

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

function status(port, urlPath) {
  return new Promise((resolve, reject) => {
    const req = http.get({ host: '127.0.0.1', port, path: urlPath, agent: false }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode));
    });
    req.on('error', reject);
  });
}

/** The 'change' events of h as "name healthy|unhealthy[ reason]" lines, and a way to await one. */
function record(h) {
  const seen = [];
  const waiters = [];
  h.on('change', (name, healthy, reason) => {
    assert.equal(typeof reason, 'string');
    seen.push(`${name} ${healthy ? 'healthy' : 'unhealthy'}${reason ? ` ${reason}` : ''}`);
    for (const w of waiters.splice(0)) w();
  });
  /** Resolves once `count` lines were seen in all (rejects after timeoutMs). */
  const until = async (count, timeoutMs = 2000) => {
    const end = Date.now() + timeoutMs;
    while (seen.length < count) {
      if (Date.now() > end) throw new Error(`${count} changes expected, got: ${JSON.stringify(seen)}`);
      await new Promise((r) => {
        waiters.push(r);
        setTimeout(r, 20);
      });
    }
    return seen;
  };
  // Not enumerable: seen compares equal to an array of lines.
  Object.defineProperty(seen, 'until', { value: until });
  return seen;
}

function server() {
  return new Hams('listen-test', '1.0.0', { address: '127.0.0.1:0' });
}

test('first every probe in registration order, then alive, ready, startup', async () => {
  const h = server();
  try {
    h.probeManual('db', { healthy: true });
    h.probeManual('cache', { checks: ['ready', 'alive'] }).set(false, 'not connected');
    const seen = record(h);
    await seen.until(5);
    assert.deepEqual(seen, [
      'db healthy',
      'cache unhealthy not connected',
      'alive unhealthy probe cache: not connected',
      'ready unhealthy probe cache: not connected',
      'startup healthy',
    ]);
  } finally {
    h.close();
  }
});

test("a probe's change comes before the checks it changes; a new reason alone is no change", async () => {
  const h = server();
  try {
    const db = h.probeManual('db', { healthy: true });
    const seen = record(h);
    await seen.until(4);
    db.set(false, 'connection refused');
    await seen.until(6);
    assert.deepEqual(seen.slice(4), ['db unhealthy connection refused', 'ready unhealthy probe db: connection refused']);
    db.set(false, 'still refused');
    await sleep(150);
    assert.equal(seen.length, 6, `a new reason is not a change: ${JSON.stringify(seen)}`);
    db.set(true);
    await seen.until(8);
    assert.deepEqual(seen.slice(6), ['db healthy', 'ready healthy']);
  } finally {
    h.close();
  }
});

test('listeners added in the same turn all get the first states; later ones the changes only', async () => {
  const h = server();
  try {
    const db = h.probeManual('db', { healthy: true });
    const a = record(h);
    const b = record(h);
    await a.until(4);
    await b.until(4);
    assert.deepEqual(a, b);
    const c = record(h);
    db.set(false, 'down');
    await c.until(2);
    assert.deepEqual(c, ['db unhealthy down', 'ready unhealthy probe db: down']);
    assert.deepEqual(a.slice(4), c);
  } finally {
    h.close();
  }
});

test('a change caused by time alone (a kick margin passing) is reported', async () => {
  const h = server();
  try {
    const loop = h.probeKick('loop', { marginMs: 100 });
    loop.kick();
    const seen = record(h);
    await seen.until(4);
    assert.deepEqual(seen.slice(0, 2), ['loop healthy', 'alive healthy']);
    const t0 = Date.now();
    await seen.until(6, 1000);
    assert.match(seen[4], /^loop unhealthy /);
    assert.match(seen[5], /^alive unhealthy probe loop: /);
    assert.ok(Date.now() - t0 < 100 + 100 + 100, `reported ${Date.now() - t0} ms after the kick`);
  } finally {
    h.close();
  }
});

test('checkState: names and bits, as the endpoints answer', async () => {
  const h = server();
  try {
    const db = h.probeManual('db', { healthy: false });
    h.start();
    assert.equal(h.checkState('alive'), true);
    assert.equal(h.checkState('ready'), false);
    assert.equal(h.checkState(Hams.READY), false);
    assert.equal(h.checkState('STARTUP'), true);
    assert.equal(await status(h.port, '/hams/ready'), 503);
    db.set(true);
    assert.equal(h.checkState(Hams.READY), true);
    assert.equal(await status(h.port, '/hams/ready'), 200);
    for (const bad of ['everything', null, 2.5, -1]) {
      assert.throws(() => h.checkState(bad), (e) => e instanceof HamsError && e.code === -2, String(bad));
    }
    assert.throws(() => h.checkState(Hams.ALIVE | Hams.READY), (e) => e instanceof HamsError && e.codeName === 'HAMS_ERR_INVALID');
  } finally {
    h.close();
  }
  assert.throws(() => h.checkState('ready'), (e) => e instanceof HamsError && e.code === -3);
});

test('setThresholds: a manual probe tolerates blips', async () => {
  const h = server();
  try {
    const db = h.probeManual('db', { healthy: true }).setThresholds(3, 2);
    const seen = record(h);
    await seen.until(4);
    db.set(false, 'blip 1').set(false, 'blip 2');
    assert.equal(h.checkState('ready'), true, 'two failures stay below the threshold of 3');
    db.set(true).set(false, 'one').set(false, 'two');
    assert.equal(h.checkState('ready'), true, 'a success starts the count again');
    db.set(false, 'three');
    assert.equal(h.checkState('ready'), false);
    await seen.until(6);
    assert.deepEqual(seen.slice(4), ['db unhealthy three', 'ready unhealthy probe db: three']);
    db.set(true);
    assert.equal(h.checkState('ready'), false, 'one success is below the threshold of 2');
    db.set(true);
    assert.equal(h.checkState('ready'), true);
    await seen.until(8);
    assert.deepEqual(seen.slice(6), ['db healthy', 'ready healthy']);
  } finally {
    h.close();
  }
});

test('setThresholds: check() probes take them; kick probes and bad counts throw', async () => {
  const h = server();
  try {
    let ok = true;
    const disk = h.check('disk', () => ok, { intervalMs: 20 }).setThresholds(1000);
    for (let i = 0; i < 100 && !h.checkState('ready'); i++) await sleep(20);
    assert.equal(h.checkState('ready'), true, 'the first good run');
    ok = false;
    await sleep(100);
    assert.equal(h.checkState('ready'), true, 'failed runs stay below the threshold');
    disk.setThresholds(1, 1);
    const loop = h.probeKick('loop', { marginMs: 1000 });
    assert.throws(() => loop.setThresholds(2, 1), (e) => e instanceof HamsError && e.codeName === 'HAMS_ERR_INVALID');
    assert.throws(() => disk.setThresholds(0, 1), (e) => e instanceof HamsError && e.code === -2 && e.call === 'hams_probe_set_thresholds');
    assert.throws(() => disk.setThresholds(1, 0), (e) => e instanceof HamsError && e.code === -2);
    for (const bad of [1.5, -1, 2 ** 32, '3', null]) {
      assert.throws(() => disk.setThresholds(bad), (e) => e instanceof HamsError && e.code === -2, String(bad));
    }
  } finally {
    h.close();
  }
});

test("shutdown: 'shuttingDown', then ready turns unhealthy for it; alive keeps passing", async () => {
  const h = server();
  try {
    h.start();
    const seen = record(h);
    await seen.until(3);
    let events = 0;
    h.on('shuttingDown', () => events++);
    assert.equal(h.shuttingDown, false);
    h.shutdown();
    assert.equal(h.shuttingDown, true);
    assert.equal(events, 1);
    await seen.until(5);
    assert.deepEqual(seen.slice(3), ['shutdown unhealthy shutting down', 'ready unhealthy shutdown: shutting down']);
    assert.equal(h.checkState('alive'), true);
    h.shutdown();
    assert.equal(events, 1, "'shuttingDown' is emitted once");
  } finally {
    h.close();
  }
});

test('a listener may close its Hams; a closed Hams emits no more changes', async () => {
  const h = server();
  const db = h.probeManual('db', { healthy: true });
  const seen = [];
  h.on('change', (name) => {
    seen.push(name);
    if (name === 'db') h.close();
  });
  await sleep(200);
  assert.deepEqual(seen, ['db']);
  assert.equal(h.closed, true);
  assert.throws(() => db.set(false), HamsError);
  const h2 = server();
  h2.close();
  assert.throws(() => h2.on('change', () => {}), (e) => e instanceof HamsError && e.code === -3);
  assert.equal(h2.listenerCount('change'), 0, 'a listener that could not be installed is not added');
});

test('close() right after changes never waits for the event loop (no deadlock)', () => {
  for (let i = 0; i < 20; i++) {
    const h = server();
    const db = h.probeManual('db', { healthy: true });
    h.on('change', () => {});
    for (let j = 0; j < 50; j++) db.set(j % 2 === 1, 'flapping');
    h.shutdown();
    h.close();
  }
});

test('the logger and the listeners share the callback worker', async () => {
  const records = [];
  setLogger((level, target, message) => records.push(message), 'info');
  const h = server();
  try {
    const seen = record(h);
    await seen.until(3);
    h.start();
    h.probeManual('db', { healthy: true });
    await seen.until(4);
    assert.deepEqual(seen.slice(3), ['db healthy'], 'a probe added later is reported as a change');
    for (let i = 0; i < 60 && records.length === 0; i++) await sleep(50);
    assert.ok(records.length > 0, 'log records arrive too');
  } finally {
    h.close();
    setLogger(null);
  }
});

test('a slow JavaScript listener never holds up hams: it gets every change, in order', async () => {
  const h = server();
  try {
    const db = h.probeManual('db', { healthy: true });
    const seen = record(h);
    h.on('change', () => {
      const end = Date.now() + 20;
      while (Date.now() < end);
    });
    await seen.until(4);
    for (let i = 0; i < 10; i++) {
      db.set(false, `down ${i}`);
      await sleep(5);
      db.set(true);
      await sleep(5);
    }
    assert.equal(h.checkState('ready'), true, 'the state is current at once');
    // Changes hams saw meanwhile may be coalesced, but each report is a turn, in order.
    await seen.until(6, 5000);
    for (let i = 0; i < 100 && seen.slice(-2).join() !== 'db healthy,ready healthy'; i++) await sleep(50);
    assert.deepEqual(seen.slice(-2), ['db healthy', 'ready healthy']);
    const last = {};
    for (const line of seen) {
      const [name, state] = line.split(' ');
      assert.notEqual(last[name], state, `two reports of ${name} ${state} in a row: ${JSON.stringify(seen)}`);
      last[name] = state;
    }
  } finally {
    h.close();
  }
});

/** Runs a script in a child node with this binding; resolves {code, ms, out}. */
function child(script, timeoutMs = 10000) {
  return new Promise((resolve, reject) => {
    const t0 = Date.now();
    const p = spawn(process.execPath, ['-e', script], {
      env: { ...process.env, HAMS_BINDING: path.join(__dirname, '..', 'hams.js') },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let out = '';
    p.stdout.on('data', (d) => (out += d));
    const timer = setTimeout(() => {
      p.kill('SIGKILL');
      reject(new Error(`child still running after ${timeoutMs} ms: ${out}`));
    }, timeoutMs);
    p.on('exit', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, ms: Date.now() - t0, out });
    });
  });
}

test('the process exits once the app is done, listening and never closed, while states flap', async () => {
  for (let i = 0; i < 5; i++) {
    const r = await child(`
      const { Hams } = require(process.env.HAMS_BINDING);
      const h = new Hams('exit-test', '1', { address: '127.0.0.1:0' });
      const db = h.probeManual('db', { healthy: true });
      h.start();
      let n = 0;
      h.on('change', () => n++);
      setInterval(() => db.set(Math.random() < 0.5, 'flap'), 1).unref();
      setTimeout(() => console.log('changes', n > 0), 150);
    `);
    assert.equal(r.signal, null, `killed by ${r.signal}`);
    assert.equal(r.code, 0);
    assert.match(r.out, /changes true/);
  }
});

test('shuttingDown is seen from the change when hams starts the sequence (SIGTERM)', async () => {
  const r = await child(`
    const { Hams } = require(process.env.HAMS_BINDING);
    const h = Hams.fromYaml('service:\\n  name: sig\\n  version: "1"\\nserver:\\n  address: 127.0.0.1:0\\nshutdown:\\n  drain_ms: 300\\n');
    h.handleSignals(true);
    h.start();
    h.on('change', (name, healthy, reason) => {
      console.log('change', name, healthy, reason, h.shuttingDown);
      if (name === 'startup') process.kill(process.pid, 'SIGTERM');
    });
    h.on('shuttingDown', () => console.log('shuttingDown alive', h.checkState('alive')));
    setInterval(() => { if (h.wait(0)) { h.close(); process.exit(0); } }, 20);
  `);
  assert.equal(r.code, 0, r.out);
  assert.match(r.out, /shuttingDown alive true\nchange shutdown false shutting down true\nchange ready false shutdown: shutting down true\n/);
});

test('process.exit() from a listener exits with its code', async () => {
  const r = await child(`
    const { Hams } = require(process.env.HAMS_BINDING);
    const h = new Hams('exit-test', '1', { address: '127.0.0.1:0' });
    h.on('change', (name) => { if (name === 'startup') process.exit(7); });
    setInterval(() => {}, 1000);
  `);
  assert.equal(r.code, 7);
});
