import { expect } from 'chai';
import { buildOpenApi } from './openapi.js';
import type { RouteSpec } from './route.js';

const body = { $id: 'Thing', type: 'object', required: ['name'], properties: { name: { type: 'string' } }, additionalProperties: false } as const;

const specs: RouteSpec[] = [
  {
    method: 'post',
    path: '/v1/things/{thingId}',
    operationId: 'makeThing',
    summary: 'Make a thing',
    tags: ['things'],
    auth: ['owner'],
    params: { type: 'object', required: ['thingId'], properties: { thingId: { type: 'string' } } },
    query: { type: 'object', properties: { dryRun: { type: 'boolean', description: 'Only validate' } } },
    body,
    responses: { 201: { description: 'Made', schema: body } },
  },
  { method: 'get', path: '/healthz', operationId: 'live', summary: 'Up', tags: ['ops'], auth: 'public', responses: { 200: { description: 'ok' } } },
];

// A loose view of the generated document, enough to index into it.
type Doc = { openapi: string; components: { schemas: Record<string, { required?: string[] }> }; paths: Record<string, Record<string, Op>> };
type Op = { parameters: unknown[]; requestBody: Media; responses: Record<string, Media>; security?: unknown; 'x-roles'?: string[] };
type Media = { content: Record<string, { schema: unknown }> };

describe('buildOpenApi', () => {
  const doc = buildOpenApi(specs, { title: 't', version: '1', serverUrl: 'http://x' }) as unknown as Doc;

  it('is OpenAPI 3.1 with named components from $id schemas', () => {
    expect(doc.openapi).to.equal('3.1.0');
    expect(doc.components.schemas.Thing).to.deep.equal({
      type: 'object',
      required: ['name'],
      properties: { name: { type: 'string' } },
      additionalProperties: false,
    });
    expect(doc.components.schemas.Error?.required).to.deep.equal(['id', 'name', 'message', 'details']);
  });

  it('documents parameters, bodies, responses, roles and error responses', () => {
    const op = doc.paths['/v1/things/{thingId}']?.post as Op;
    expect(op.parameters).to.deep.equal([
      { name: 'thingId', in: 'path', required: true, schema: { type: 'string' } },
      { name: 'dryRun', in: 'query', required: false, description: 'Only validate', schema: { type: 'boolean', description: 'Only validate' } },
    ]);
    expect(op.requestBody.content['application/json']?.schema).to.deep.equal({ $ref: '#/components/schemas/Thing' });
    expect(op.responses['201']?.content['application/json']?.schema).to.deep.equal({ $ref: '#/components/schemas/Thing' });
    expect(Object.keys(op.responses)).to.include.members(['400', '401', '403', '404']);
    expect(op['x-roles']).to.deep.equal(['owner']);
    expect(doc.paths['/healthz']?.get?.security).to.deep.equal([]);
    expect(doc.paths['/healthz']?.get?.['x-roles']).to.deep.equal([]);
  });

  it('gives every operation its x-roles (the access matrix is generated from them)', () => {
    for (const [path, ops] of Object.entries(doc.paths)) {
      for (const [method, op] of Object.entries(ops)) expect(op['x-roles'], `${method} ${path}`).to.be.an('array');
    }
  });
});
