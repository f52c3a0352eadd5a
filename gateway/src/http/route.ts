import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Request, Response } from 'express';
import type { FromSchema } from 'json-schema-to-ts';
import type { Principal, Role } from './principal.js';
import type { Schema } from './validation.js';

export type HttpMethod = 'get' | 'post' | 'put' | 'patch' | 'delete';

export interface ResponseSpec {
  readonly description: string;
  readonly schema?: Schema;
  /** Defaults to application/json when a schema is given. */
  readonly contentType?: string;
}

/**
 * One API operation: the validator, the router entry and the OpenAPI document come from this object.
 * `path` uses OpenAPI templating (`/v1/sites/{siteId}`).
 */
export interface RouteSpec {
  readonly method: HttpMethod;
  readonly path: string;
  readonly operationId: string;
  readonly summary: string;
  readonly description?: string;
  readonly tags: readonly string[];
  /** 'public' routes carry their own protection (signatures, site keys); others need one of these roles. */
  readonly auth: 'public' | readonly Role[];
  readonly params?: Schema;
  readonly query?: Schema;
  /** Request headers the operation needs (documented; the WebSocket upgrade's). */
  readonly headers?: Schema;
  /** `x-` extensions copied into the operation (schemas with a `$id` become components). */
  readonly extensions?: Readonly<Record<`x-${string}`, unknown>>;
  readonly body?: Schema;
  /** How the body arrives; JSON unless a provider dictates otherwise (Twilio posts forms). */
  readonly bodyType?: 'json' | 'form' | 'text-json' | 'text-csv';
  /** A larger body limit than the app's default, for file uploads (e.g. '20mb'). */
  readonly bodyLimit?: string;
  readonly responses: Readonly<Record<number, ResponseSpec>>;
}

type Infer<S> = S extends Schema ? FromSchema<S> : undefined;

export interface RouteContext<S extends RouteSpec> {
  readonly params: Infer<S['params']>;
  readonly query: Infer<S['query']>;
  readonly body: Infer<S['body']>;
  /** Present on every non-public route. */
  readonly principal: S['auth'] extends 'public' ? Principal | null : Principal;
  readonly req: Request;
  readonly res: Response;
}

/** A handler either returns the response to send or writes it itself (streams) and returns nothing. */
export interface RouteResult {
  readonly status: number;
  readonly body?: unknown;
  readonly headers?: Readonly<Record<string, string>>;
}

export type RouteHandler<S extends RouteSpec> = (ctx: RouteContext<S>) => Promise<RouteResult | undefined> | RouteResult | undefined;

export interface RouteDefinition {
  readonly spec: RouteSpec;
  readonly handler: RouteHandler<RouteSpec>;
}

/** Typed constructor for a route: the handler's params, query and body types come from the spec's schemas. */
export function route<const S extends RouteSpec>(spec: S, handler: RouteHandler<S>): RouteDefinition {
  return { spec, handler: handler as unknown as RouteHandler<RouteSpec> };
}

/** Something that contributes routes to the app (a feature's controller). */
export interface Controller {
  readonly routes: readonly RouteDefinition[];
}

/**
 * A route on the lean fast path: served by node:http before express sees the request (widget hot endpoints).
 * The spec is only documentation here; the handler validates with a precompiled validator.
 */
export interface FastRoute {
  readonly spec: RouteSpec;
  /** Path pattern with `{name}` placeholders for one segment each. */
  readonly handle: (req: IncomingMessage, res: ServerResponse, params: Readonly<Record<string, string>>) => Promise<void>;
}

export interface FastController {
  readonly fastRoutes: readonly FastRoute[];
}
