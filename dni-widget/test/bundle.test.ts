import { expect } from 'chai';
import { bundle } from '../bundle.mjs';

describe('dni-widget bundle', () => {
  it('puts V8’s compile hint first in dni.js, and keeps strict mode after it', async () => {
    const code = await bundle(new URL('../src/widget.ts', import.meta.url).pathname, { eager: true });
    // The hint only counts at the top of the file; a comment before "use strict" leaves it the directive.
    expect(code.startsWith('//# allFunctionsCalledOnLoad\n"use strict";')).to.equal(true, code.slice(0, 60));
    expect((await bundle(new URL('../src/inquiries.ts', import.meta.url).pathname)).startsWith('//')).to.equal(false);
  });
});
