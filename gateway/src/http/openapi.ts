import type { RouteSpec } from './route.js';
import type { Schema } from './validation.js';

/**
 * OpenAPI 3.1 generated from the same `as const` schemas the validators use, so the document cannot drift.
 * Schemas with a `$id` become named components; the rest are inlined.
 */

export const errorSchema = {
  $id: 'Error',
  type: 'object',
  additionalProperties: false,
  required: ['id', 'name', 'message', 'details'],
  properties: {
    id: { type: 'string', description: 'Quote it when reporting a problem; it is in the logs too' },
    name: { type: 'string', examples: ['BadDataError', 'NotFoundError'] },
    message: { type: 'string' },
    details: {
      type: 'array',
      items: {
        type: 'object',
        additionalProperties: false,
        required: ['message'],
        properties: { message: { type: 'string' }, path: { type: 'string' } },
      },
    },
  },
} as const;

interface DocInfo {
  title: string;
  version: string;
  serverUrl: string;
}

type Json = Record<string, unknown>;

function collectComponents(schema: unknown, components: Json): unknown {
  if (Array.isArray(schema)) return schema.map((s) => collectComponents(s, components));
  if (!schema || typeof schema !== 'object') return schema;
  const { $id, ...rest } = schema as Json;
  const inner: Json = {};
  for (const [k, v] of Object.entries(rest)) inner[k] = collectComponents(v, components);
  if (typeof $id === 'string') {
    components[$id] = inner;
    return { $ref: `#/components/schemas/${$id}` };
  }
  return inner;
}

function parametersOf(schema: Schema | undefined, where: 'path' | 'query' | 'header', components: Json): Json[] {
  if (!schema || typeof schema !== 'object' || !('properties' in schema) || !schema.properties) return [];
  const required = new Set(('required' in schema && (schema.required as string[])) || []);
  return Object.entries(schema.properties as Record<string, Json>).map(([name, s]) => ({
    name,
    in: where,
    required: where === 'path' || required.has(name),
    ...(typeof s.description === 'string' ? { description: s.description } : {}),
    schema: collectComponents(s, components),
  }));
}

const DEFAULT_ERRORS: Record<string, string> = {
  '400': 'The request is malformed or fails validation',
  '401': 'No valid API key or session',
  '403': 'The caller lacks the role this operation needs',
  '404': 'Not found (or belongs to another account)',
  '415': 'Wrong Content-Type',
};

export function buildOpenApi(specs: readonly RouteSpec[], info: DocInfo): Json {
  const components: Json = {};
  const errorRef = collectComponents(errorSchema, components);
  const paths: Record<string, Json> = {};
  for (const spec of specs) {
    const bodyMedia =
      spec.bodyType === 'form'
        ? 'application/x-www-form-urlencoded'
        : spec.bodyType === 'text-json'
          ? 'text/plain'
          : spec.bodyType === 'text-csv'
            ? 'text/csv'
            : 'application/json';
    const responses: Json = {};
    for (const [status, r] of Object.entries(spec.responses)) {
      const media = r.contentType ?? 'application/json';
      responses[status] = {
        description: r.description,
        ...(r.schema
          ? { content: { [media]: { schema: collectComponents(r.schema, components) } } }
          : r.contentType
            ? { content: { [media]: {} } }
            : {}),
      };
    }
    // An upgrade (101) answers a refusal as a bare status line: its 401/403 are in its own responses.
    const errorCodes = spec.responses[101] ? [] : spec.auth === 'public' ? ['400', '415'] : ['400', '401', '403', '404'];
    for (const code of errorCodes) {
      if (code === '415' && !spec.body) continue;
      if (code === '400' && !spec.body && !spec.query && !spec.params) continue;
      responses[code] ??= { description: DEFAULT_ERRORS[code], content: { 'application/json': { schema: errorRef } } };
    }
    const op: Json = {
      operationId: spec.operationId,
      summary: spec.summary,
      ...(spec.description ? { description: spec.description } : {}),
      tags: [...spec.tags],
      parameters: [
        ...parametersOf(spec.params, 'path', components),
        ...parametersOf(spec.query, 'query', components),
        ...parametersOf(spec.headers, 'header', components),
      ],
      ...(spec.body ? { requestBody: { required: true, content: { [bodyMedia]: { schema: collectComponents(spec.body, components) } } } } : {}),
      responses,
      ...(spec.extensions ? (collectComponents(spec.extensions, components) as Json) : {}),
      // Every operation states who may call it; [] with `security: []` is a public route (it checks its own
      // signature or site key). The access-matrix test is generated from these.
      ...(spec.auth === 'public' ? { security: [], 'x-roles': [] } : { 'x-roles': [...spec.auth] }),
    };
    paths[spec.path] = { ...(paths[spec.path] ?? {}), [spec.method]: op };
  }
  return {
    openapi: '3.1.0',
    jsonSchemaDialect: 'https://json-schema.org/draft/2020-12/schema',
    info: { title: info.title, version: info.version },
    servers: [{ url: info.serverUrl }],
    paths,
    components: {
      schemas: components,
      securitySchemes: {
        apiKey: { type: 'http', scheme: 'bearer', description: 'An API key (ctk_...) created in the console or at first start' },
        session: { type: 'apiKey', in: 'cookie', name: 'ct_session', description: 'Console session' },
      },
    },
    security: [{ apiKey: [] }, { session: [] }],
  };
}
