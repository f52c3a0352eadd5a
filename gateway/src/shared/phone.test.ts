import { expect } from 'chai';
import { countryOfE164, digitForms, isE164, toE164 } from './phone.js';

describe('phone numbers (libphonenumber-js)', () => {
  const national: [string, Parameters<typeof toE164>[1], string | null][] = [
    ['84951234561', 'RU', '+74951234561'],
    ['8 (495) 123-45-61', 'RU', '+74951234561'],
    ['4951234561', 'RU', '+74951234561'],
    ['74951234561', 'RU', '+74951234561'],
    ['810442079460000', 'RU', '+442079460000'],
    ['020 7946 0000', 'GB', '+442079460000'],
    ['00442079460000', 'DE', '+442079460000'],
    ['030 12345678', 'DE', '+493012345678'],
    ['8 (7172) 12 34 56', 'KZ', '+77172123456'],
    ['8 029 123-45-67', 'BY', '+375291234567'],
    ['01 23 45 67 89', 'FR', '+33123456789'],
    ['(415) 555-0100', 'US', '+14155550100'],
    // Digits that are no national number of the country are read as international (a PBX that strips "+").
    ['14155550100', 'RU', '+14155550100'],
    ['tel:+14155550100', null, '+14155550100'],
    ['+89161234567', null, null],
    ['21', 'RU', null],
    ['anonymous', 'RU', null],
    ['', 'RU', null],
  ];
  for (const [raw, country, expected] of national) {
    it(`"${raw}" in ${country ?? 'no country'} → ${expected}`, () => expect(toE164(raw, country)).to.equal(expected));
  }

  it('isE164 wants the canonical "+" form of a possible number', () => {
    expect(isE164('+74951234561')).to.equal(true);
    expect(isE164('+7495123456')).to.equal(false);
    expect(isE164('74951234561')).to.equal(false);
    expect(isE164('+7 495 123 45 61')).to.equal(false);
  });

  it('digit forms: international, national with and without the trunk prefix', () => {
    expect(digitForms('+74951234561')).to.deep.equal(['74951234561', '84951234561', '4951234561']);
    expect(digitForms('+442079460000')).to.deep.equal(['442079460000', '02079460000', '2079460000']);
    expect(digitForms('+493012345678')).to.deep.equal(['493012345678', '03012345678', '3012345678']);
    expect(digitForms('+33123456789')).to.deep.equal(['33123456789', '0123456789', '123456789']);
    expect(digitForms('+375291234567')).to.deep.equal(['375291234567', '80291234567', '291234567']);
    expect(digitForms('+77172123456')).to.deep.equal(['77172123456', '87172123456', '7172123456']);
    expect(digitForms('+14155550100')).to.deep.equal(['14155550100', '4155550100']);
  });

  it('knows the country of a number', () => {
    expect(countryOfE164('+77172123456')).to.equal('KZ');
    expect(countryOfE164('+74951234561')).to.equal('RU');
  });
});
