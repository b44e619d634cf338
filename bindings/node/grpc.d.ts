// Types of `hams/grpc` (hand-written; grpc.js is the implementation).
// Self-contained: the optional peer dependencies' types are not needed.
import type { Hams } from './hams';

export type ServingStatus = 'UNKNOWN' | 'SERVING' | 'NOT_SERVING';

/** What the bridge drives: grpc-health-check's HealthImplementation has it. */
export interface HealthStatusSink {
  setStatus(service: string, status: ServingStatus): void;
}

/** grpc-health-check's HealthImplementation, as far as the bridge's users need it. */
export interface HealthImplementationLike extends HealthStatusSink {
  /** Adds grpc.health.v1.Health to a @grpc/grpc-js Server. */
  addToServer(server: unknown): void;
}

/** Each health service name and the check it reports: "" is ready. */
export const SERVICES: Readonly<{ '': 'ready'; alive: 'alive'; ready: 'ready'; startup: 'startup' }>;

/**
 * Keeps `health` in sync with `h` (SERVING while the service's check passes,
 * NOT_SERVING while it fails and for every service once the shutdown
 * sequence started) and returns it; without `health`, a new
 * grpc-health-check HealthImplementation.
 */
export function bridgeHealth<T extends HealthStatusSink>(h: Hams, health: T): T;
export function bridgeHealth(h: Hams): HealthImplementationLike;
