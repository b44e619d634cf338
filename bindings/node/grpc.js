'use strict';
/**
 * hams/grpc: the standard gRPC health service (grpc.health.v1.Health) of
 * @grpc/grpc-js, kept in sync with a Hams by its 'change' events (no polling).
 *
 *   const grpc = require('@grpc/grpc-js');
 *   const { bridgeHealth } = require('hams/grpc');
 *   const server = new grpc.Server();
 *   bridgeHealth(h).addToServer(server);   // a grpc-health-check HealthImplementation
 *
 * Services: "" is the ready check; "alive", "ready", "startup" are those
 * checks. SERVING while the check passes, NOT_SERVING while it fails, and
 * NOT_SERVING for every service from the moment the shutdown sequence starts
 * (gRPC clients and Kubernetes then stop routing during the drain), even
 * while a check still passes (alive does). Other names are unknown to the
 * health service: Check answers NOT_FOUND, Watch SERVICE_UNKNOWN.
 *
 * @grpc/grpc-js and grpc-health-check are optional peer dependencies: only
 * bridgeHealth(h) without an implementation loads grpc-health-check.
 */

/** Each health service name and the check it reports. */
const SERVICES = Object.freeze({ '': 'ready', alive: 'alive', ready: 'ready', startup: 'startup' });

/**
 * Keeps `health` (an object with setStatus(service, status), such as
 * grpc-health-check's HealthImplementation; a new one when omitted) in sync
 * with `h` from now until h is closed, and returns it. Installs h's status
 * listener (a 'change' listener) if it has none yet.
 */
function bridgeHealth(h, health) {
  if (health === undefined) {
    const { HealthImplementation } = require('grpc-health-check');
    health = new HealthImplementation();
  }
  if (health === null || typeof health.setStatus !== 'function') {
    throw new TypeError('health must have setStatus(service, status), like grpc-health-check HealthImplementation');
  }
  // The state of each check: now, then as each change reports it.
  const passes = {};
  for (const check of new Set(Object.values(SERVICES))) passes[check] = h.checkState(check);
  // What each service was last set to: a Watch gets a message per setStatus.
  const shown = {};
  const sync = () => {
    for (const [service, check] of Object.entries(SERVICES)) {
      const status = !h.shuttingDown && passes[check] ? 'SERVING' : 'NOT_SERVING';
      if (shown[service] !== status) {
        shown[service] = status;
        health.setStatus(service, status);
      }
    }
  };
  h.on('change', (name, healthy) => {
    if (!(name in passes)) return;
    passes[name] = healthy;
    sync();
  });
  h.on('shuttingDown', sync);
  sync();
  return health;
}

module.exports = { bridgeHealth, SERVICES };
