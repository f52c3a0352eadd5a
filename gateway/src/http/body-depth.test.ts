import { expect } from 'chai';
import { BadDataError } from '../errors/app-error.js';
import { MAX_BODY_DEPTH, assertBodyDepth } from './body-depth.js';

const nested = (n: number): unknown => JSON.parse(`${'['.repeat(n)}${']'.repeat(n)}`);

describe('assertBodyDepth', () => {
  it('accepts bodies up to the limit, scalars and empty containers', () => {
    for (const v of [null, 1, 'x', [], {}, { a: { b: [1, { c: 2 }] } }, nested(MAX_BODY_DEPTH)]) expect(() => assertBodyDepth(v)).not.to.throw();
  });

  it('refuses a deeper body with a 400, also one far deeper than the call stack', () => {
    for (const v of [nested(MAX_BODY_DEPTH + 1), nested(200_000), JSON.parse(`${'{"a":'.repeat(5000)}1${'}'.repeat(5000)}`)]) {
      expect(() => assertBodyDepth(v))
        .to.throw(BadDataError)
        .with.property('statusCode', 400);
    }
  });
});
