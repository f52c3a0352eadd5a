import type { Server } from 'node:http';
import type { RequestHandler } from 'express';
import type { ReadinessCheck } from '../features/health/health-controller.js';
import type { Job } from '../jobs/scheduler.js';
import type { Controller, FastRoute, RouteSpec } from './route.js';

/** An express handler mounted before the API routes (widget bundles, the console). */
export interface StaticMount {
  readonly path: string;
  readonly handler: RequestHandler;
}

/**
 * What one feature contributes to the gateway. A feature's `create<Feature>Module(infra, deps)` builds its stores,
 * services and routes, subscribes to the domain events it reacts to, and returns them here; the composition root
 * calls the modules in order and hands routes, jobs and checks to the app, the scheduler and the health endpoint.
 *
 * Lifecycle, driven by the composition root: `start` of every module in order (before the server listens),
 * listen, the scheduler starts, `started` in order. Stop hooks run in reverse order, so a module stops before the
 * modules it was built from: `closing`, the server closes, `drain`, the scheduler stops, `stop`.
 */
export interface FeatureModule {
  /** Names the module in docs/architecture.md. */
  readonly name: string;
  readonly controllers?: readonly Controller[];
  /** Routes served on the lean node:http path before express (widget and voice hot endpoints). */
  readonly fastRoutes?: readonly FastRoute[];
  readonly statics?: readonly StaticMount[];
  /** Operations served outside both routers (the WebSocket upgrade): in the OpenAPI document and its access matrix. */
  readonly upgrades?: readonly RouteSpec[];
  readonly jobs?: readonly Job[];
  readonly readiness?: readonly ReadinessCheck[];
  /** Before the server listens: restore state, subscribe across replicas, attach to the server. */
  start?(ctx: { readonly server: Server }): Promise<void>;
  /** After the server listens and the scheduler runs: workers and listeners that reach the outside world. */
  started?(): Promise<void>;
  /** First thing at stop, before the HTTP server closes (long-lived connections that would hold it open). */
  closing?(): Promise<void>;
  /** After the HTTP server closed, before the scheduler stops: stop taking work, land or hand back what was accepted. */
  drain?(): Promise<void>;
  /** After the scheduler stopped: flush what is left, close connections. */
  stop?(): Promise<void>;
}
