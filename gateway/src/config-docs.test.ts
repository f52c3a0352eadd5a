import { readFileSync } from 'node:fs';
import { expect } from 'chai';
import { envSchema } from './config.js';

describe('README configuration table', () => {
  it('documents exactly the variables the gateway reads', () => {
    const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');
    const documented = new Set([...readme.matchAll(/^\| `([A-Z0-9_]+)` \|/gm)].map((m) => m[1]));
    expect([...documented].sort()).to.deep.equal(Object.keys(envSchema.properties).sort());
  });
});
