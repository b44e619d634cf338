'use strict';
/**
 * Metric vectors, as prom-client's metrics with labelNames: a family whose
 * series are made on first use of their label values.
 *
 *   const req = h.counter({ name: 'requests_total', help: 'Requests.', labelNames: ['path', 'code'] });
 *   req.labels({ path: '/', code: 200 }).inc();
 *   req.labels('/', '200').inc();
 *   req.inc({ path: '/', code: 200 }, 2);
 *
 * A child is cached per label values, so a repeated labels(...) is a Map
 * lookup that does not call into libhams. hams.js gives this module its C
 * functions and metric classes (the coverage check reads the C prototypes
 * from hams.js).
 */

module.exports = function defineVecs(deps) {
  const { C, HamsError, check, lastError, cstr, needs, aggregationCode, Counter, Gauge, Histogram } = deps;
  // The values' key in the cache: NUL cannot occur in a value, so it separates.
  const SEP = '\0';

  function labelValue(v, name) {
    if (v === null || v === undefined) throw new HamsError(`label value for "${name}" is ${v}`, -1, null);
    if (typeof v === 'string') return v;
    if (typeof v === 'number' || typeof v === 'boolean' || typeof v === 'bigint') return String(v);
    throw new TypeError(`label value for "${name}" must be a string or a number`);
  }

  /** A metric family with label names; labels(...) gives its series. */
  class MetricVec {
    constructor(owner, ptr, name, kind, labelNames, Child) {
      this._owner = owner;
      this._ptr = ptr;
      this.name = name;
      this.kind = kind;
      this.labelNames = Object.freeze(labelNames.slice());
      this._Child = Child;
      this._children = new Map();
    }

    _handle() {
      if (this._ptr === null) throw new HamsError(`${this.kind} vector "${this.name}" was freed`, -3, null);
      this._owner._handle();
      return this._ptr;
    }

    /** The label values, in labelNames' order, from ({name: value}) or (value, ...). */
    _values(args) {
      const names = this.labelNames;
      const first = args[0];
      if (args.length === 1 && first !== null && typeof first === 'object' && !Array.isArray(first)) {
        for (const k of Object.keys(first)) {
          if (!names.includes(k)) {
            throw new HamsError(`${this.name} has no label "${k}" (its labels: ${names.join(', ')})`, -2, null);
          }
        }
        return names.map((n) => {
          if (!(n in first)) throw new HamsError(`no value for label "${n}" of ${this.name}`, -2, null);
          return labelValue(first[n], n);
        });
      }
      const values = args.length === 1 && Array.isArray(first) ? first : args;
      return values.map((v, i) => labelValue(v, i < names.length ? names[i] : `#${i + 1}`));
    }

    /** The child for these label values: labels({path: '/'}) or labels('/'); made on first use. */
    labels(...args) {
      const values = this._values(args);
      const key = values.join(SEP);
      const known = this._children.get(key);
      if (known !== undefined) return known;
      for (const v of values) cstr(v, 'label value');
      const ptr = C.vecWith(this._handle(), [...values, null]);
      if (ptr === null) throw lastError('hams_vec_with');
      const child = new this._Child(this._owner, ptr, this.name, this.kind);
      child._vec = this;
      child._key = key;
      child._values = values;
      this._children.set(key, child);
      return child;
    }

    /** Removes the series of these label values (same forms as labels()); its child becomes invalid. */
    remove(...args) {
      const values = this._values(args);
      for (const v of values) cstr(v, 'label value');
      const ptr = this._handle();
      const key = values.join(SEP);
      const child = this._children.get(key);
      if (child !== undefined) {
        child._ptr = null;
        this._children.delete(key);
      }
      check(C.vecRemove(ptr, [...values, null]), 'hams_vec_remove');
      return this;
    }

    /** Removes every series made through this object (prom-client's reset()). */
    reset() {
      const ptr = this._handle();
      const children = [...this._children.values()];
      this._children.clear();
      for (const child of children) {
        child._ptr = null;
        check(C.vecRemove(ptr, [...child._values, null]), 'hams_vec_remove');
      }
      return this;
    }

    /** Removes the family from the exposition and frees it with its series. */
    free() {
      if (this._ptr === null) return;
      check(C.vecFree(this._handle()), 'hams_vec_free');
      this._invalidate();
      this._owner._metrics.delete(this);
    }

    _invalidate() {
      this._ptr = null;
      for (const child of this._children.values()) child._ptr = null;
      this._children.clear();
    }
  }

  class CounterVec extends MetricVec {
    /** prom-client's shorthand: inc({path: '/'}, n, exemplar) is labels({path: '/'}).inc(n, exemplar). */
    inc(labels, n = 1, exemplar = undefined) {
      this.labels(labels).inc(n, exemplar);
      return this;
    }
  }

  class GaugeVec extends MetricVec {
    /** Workers mode: as Gauge.setAggregation, for every series of the family; before the first update. */
    setAggregation(how) {
      const fn = needs(C.vecSetAggregation, 'hams_vec_set_aggregation');
      check(fn(this._handle(), aggregationCode(how)), 'hams_vec_set_aggregation');
      return this;
    }

    set(labels, v) {
      this.labels(labels).set(v);
      return this;
    }

    add(labels, v) {
      this.labels(labels).add(v);
      return this;
    }
  }

  class HistogramVec extends MetricVec {
    observe(labels, v, exemplar = undefined) {
      this.labels(labels).observe(v, exemplar);
      return this;
    }
  }

  /** A vec's child: free() removes it from its vector (hams_metric_free refuses it). */
  function freeChild(m) {
    if (m._ptr === null) return;
    m._vec.remove(...m._values);
  }

  return { MetricVec, CounterVec, GaugeVec, HistogramVec, Counter, Gauge, Histogram, freeChild };
};
