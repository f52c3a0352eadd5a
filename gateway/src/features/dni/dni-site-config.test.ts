import { expect } from 'chai';
import { formatInternational, formatNational } from '../../shared/phone.js';
import { NumberFormsCache } from './dni-site-config.js';

describe('number forms of the session answer', () => {
  it('display: national for NANP numbers, international elsewhere; digits as pages print them', () => {
    const forms = new NumberFormsCache(10);
    expect(forms.get('+14155550100')).to.deep.equal({
      display: formatNational('+14155550100'),
      digits: ['14155550100', '4155550100', '4155550100'],
    });
    expect(forms.get('+74951234561')).to.deep.equal({
      display: formatInternational('+74951234561'),
      digits: ['74951234561', '84951234561', '4951234561'],
    });
    // Not a number libphonenumber can parse: the text itself, digits only.
    expect(forms.get('+0')).to.deep.equal({ display: '+0', digits: ['0', '0', '0'] });
  });

  it("works out a pool's forms behind the answers, the same forms as on demand", async () => {
    const pool = Array.from({ length: 40 }, (_, i) => `+4479123${String(i).padStart(5, '0')}`);
    const forms = new NumberFormsCache(100);
    await forms.warm(pool);
    expect(forms.size).to.equal(pool.length);
    expect(forms.get(pool[7]!)).to.deep.equal(new NumberFormsCache(1).get(pool[7]!));
    expect(forms.get(pool[7]!).display).to.equal(formatInternational(pool[7]!));
  });

  it('is bounded: numbers that would not all fit are not warmed, an answer past the bound starts over', async () => {
    const numbers = (from: number, n: number) => Array.from({ length: n }, (_, i) => `+4479123${String(from + i).padStart(5, '0')}`);
    const forms = new NumberFormsCache(20);
    await forms.warm(numbers(0, 50));
    expect(forms.size).to.equal(0);
    await forms.warm(numbers(0, 15));
    expect(forms.size).to.equal(15);
    // Already known numbers take no room; 15 + 10 new ones would not fit.
    await forms.warm([...numbers(0, 15), ...numbers(100, 10)]);
    expect(forms.size).to.equal(15);
    for (const e164 of numbers(100, 5)) forms.get(e164);
    expect(forms.size).to.equal(20);
    forms.get('+14155550100');
    expect(forms.size).to.equal(1);
  });
});
