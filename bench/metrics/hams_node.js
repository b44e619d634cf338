'use strict';
// bench/metrics/hams_node.js: hams through its Node binding (koffi).
//
//   node hams_node.js ops ITERATIONS
//       ns per inc, set, observe and labels(..).inc()
// HAMS_NODE_BINDING is the binding's hams.js (the run script sets it, with
// HAMS_LIBRARY). labels(..).inc() is measured when the binding has a vec
// API: h.counterVec(name, help, labelNames) or prom-client's shape,
// h.counter(name, help, {labelNames}) returning an object with labels();
// otherwise it is null (n/a).

const { Hams } = require(process.env.HAMS_NODE_BINDING || 'hams');
const { FAMILY, HELP, LABEL_NAMES, BUCKETS, TRACE_ID, nsPerOp, emit, parse } = require('./bench_common');

// the labeled counter family, or null when this binding has no vec API
function counterVec(h) {
  if (typeof h.counterVec === 'function') return h.counterVec(FAMILY, HELP, LABEL_NAMES);
  try {
    const c = h.counter(FAMILY, HELP, { labelNames: LABEL_NAMES });
    if (c && typeof c.labels === 'function') return c;
    if (c && typeof c.close === 'function') c.close();
  } catch (_) {
    /* the binding takes no labelNames: no vec API */
  }
  return null;
}

function ops(iterations) {
  const h = new Hams('hams-bench', '1.0.0', { address: '127.0.0.1:0' });
  const c = h.counter('bench_ops_total', 'Operations.');
  const g = h.gauge('bench_level', 'A level.');
  const hi = h.histogram('bench_seconds', 'Durations.', BUCKETS);
  const vec = counterVec(h);
  const result = {
    inc: nsPerOp((k) => { for (let i = 0; i < k; i++) c.inc(); }, iterations),
    set: nsPerOp((k) => { for (let i = 0; i < k; i++) g.set(i); }, iterations),
    observe: nsPerOp((k) => { for (let i = 0; i < k; i++) hi.observe((i & 1023) / 100); }, iterations),
    observe_exemplar: null,
    labels_inc: null,
  };
  const exemplar = { trace_id: TRACE_ID };
  try {
    hi.observe(0.1, exemplar); // a binding without exemplars throws here
    result.observe_exemplar = nsPerOp((k) => { for (let i = 0; i < k; i++) hi.observe((i & 1023) / 100, exemplar); }, iterations);
  } catch (e) {
    // left null: this binding has no exemplars
  }
  if (vec !== null) {
    result.labels_inc = nsPerOp((k) => { for (let i = 0; i < k; i++) vec.labels('/api/v1/items', '200').inc(); }, iterations);
  }
  emit({ impl: 'hams-node', api: vec !== null ? 'vec' : 'labeled', ops: result });
  h.close();
}

const args = parse(process.argv.slice(2), 'hams_node.js');
if (args.mode !== 'ops') {
  process.stderr.write('hams_node.js: only "ops" (series are measured from C and Python)\n');
  process.exit(2);
}
ops(args.n);
