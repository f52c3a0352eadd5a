import { expect } from 'chai';
import { BadDataError } from '../errors/app-error.js';
import { validateOrThrow } from './validation.js';

const schema = {
  type: 'object',
  additionalProperties: false,
  required: ['n'],
  properties: { n: { type: 'integer', minimum: 1 }, tag: { type: 'string', enum: ['a', 'b'] } },
} as const;

describe('validateOrThrow', () => {
  it('accepts valid data', () => {
    expect(validateOrThrow(schema, { n: 2, tag: 'a' }, 'body')).to.deep.equal({ n: 2, tag: 'a' });
  });

  it('lists every problem with its path', () => {
    try {
      validateOrThrow(schema, { n: 0, tag: 'c', extra: 1 }, 'body');
      expect.fail('should throw');
    } catch (err) {
      expect(err).to.be.instanceOf(BadDataError);
      const details = (err as BadDataError).details.map((d) => d.message);
      expect(details).to.include.members(['body must not have property "extra"', 'body/n must be >= 1', 'body/tag must be one of: a, b']);
    }
  });

  it('coerces query strings only when asked', () => {
    expect(validateOrThrow(schema, { n: '3' }, 'query', { coerce: true })).to.deep.equal({ n: 3 });
    expect(() => validateOrThrow(schema, { n: '3' }, 'body')).to.throw(BadDataError, /must be integer/);
  });

  it('reports only the closest branch of a failed anyOf', () => {
    const union = {
      type: 'object',
      properties: {
        config: {
          anyOf: [
            { type: 'object', additionalProperties: false, required: ['url'], properties: { url: { type: 'string' } } },
            {
              type: 'object',
              additionalProperties: false,
              required: ['domain', 'apiKey'],
              properties: { domain: { type: 'string' }, apiKey: { type: 'string' } },
            },
          ],
        },
      },
    } as const;
    try {
      validateOrThrow(union, { config: { domain: 'x.example', apiKey: 7 } }, 'body');
      expect.fail('should throw');
    } catch (err) {
      expect(err).to.be.instanceOf(BadDataError);
      expect((err as BadDataError).details).to.deep.equal([{ path: 'body/config/apiKey', message: 'body/config/apiKey must be string' }]);
    }
  });
});
