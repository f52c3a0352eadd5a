import { expect } from 'chai';
import { digitForms as gatewayForms } from '../../gateway/src/shared/phone.js';
import { buildTable, digitForms, findNumbers, replacementDigits, swapParts, swapText, telHref, transferFormat } from '../src/numbers.js';
import type { Swap } from '../src/numbers.js';

/** A swap as the gateway's session answer carries it: with the digit forms it computes (libphonenumber). */
const swap = (from: string, to: string): Swap => ({ from, to, fromForms: [...gatewayForms(from)], toForms: [...gatewayForms(to)] });
const RU = swap('+74951234567', '+74951234561');
const US = swap('+14155550100', '+14155550101');
const table = buildTable([RU, US]);

describe('dni-widget numbers', () => {
  it("takes the gateway's digit forms, and the international digits alone from an answer without them", () => {
    expect(digitForms(RU.from, RU.fromForms)).to.deep.equal(['74951234567', '84951234567', '4951234567']);
    expect(digitForms('+442071234567')).to.deep.equal(['442071234567']);
    const bare = buildTable([{ from: '+74951234567', to: '+74951234561' }]);
    expect(swapText('+7 (495) 123-45-67', bare)).to.equal('+7 (495) 123-45-61');
    expect(swapText('8 (495) 123-45-67', bare), 'national forms need the answer’s forms').to.equal('8 (495) 123-45-67');
  });

  const intl: [string, Swap, string, string][] = [
    ['UK', swap('+442079460000', '+442079460123'), '020 7946 0000', '020 7946 0123'],
    ['UK international', swap('+442079460000', '+442079460123'), '+44 (0)20 7946 0000', '+44 (0)20 7946 0123'],
    ['Germany', swap('+493012345678', '+493012345699'), '030 12345678', '030 12345699'],
    ['France', swap('+33123456789', '+33123456700'), '01 23 45 67 89', '01 23 45 67 00'],
    ['Belarus', swap('+375291234567', '+375291234500'), '8 029 123-45-67', '8 029 123-45-00'],
    ['Kazakhstan', swap('+77172123456', '+77172123400'), '8 (7172) 12 34 56', '8 (7172) 12 34 00'],
  ];
  for (const [name, s, before, after] of intl) {
    it(`${name}: "${before}" → "${after}"`, () => expect(swapText(before, buildTable([s]))).to.equal(after));
  }

  it('maps each form to the replacement in the same form', () => {
    expect(table.get('84951234567')).to.deep.equal(['84951234561', '+74951234561']);
    expect(table.get('4155550100')).to.deep.equal(['4155550101', '+14155550101']);
  });

  const cases: [string, string][] = [
    ['+7 (495) 123-45-67', '+7 (495) 123-45-61'],
    ['8 (495) 123-45-67', '8 (495) 123-45-61'],
    ['8 495 123 45 67', '8 495 123 45 61'],
    ['7-495-1234567', '7-495-1234561'],
    ['(495) 123-45-67', '(495) 123-45-61'],
    ['84951234567', '84951234561'],
    ['(415) 555-0100', '(415) 555-0101'],
    ['+1 415.555.0100', '+1 415.555.0101'],
    ['1-415-555-0100', '1-415-555-0101'],
    ['415\u00a0555\u00a00100', '415\u00a0555\u00a00101'],
    ['+1\u2009(415)\u2009555\u20110100', '+1\u2009(415)\u2009555\u20110101'],
    ['8\u2212495\u2212123\u221245\u221267', '8\u2212495\u2212123\u221245\u221261'],
    ['Call 8 (495) 123-45-67 or (415) 555-0100 today', 'Call 8 (495) 123-45-61 or (415) 555-0101 today'],
    ['д. 15 8 (495) 123-45-67', 'д. 15 8 (495) 123-45-61'],
    ['9-18 (495) 123-45-67', '9-18 (495) 123-45-61'],
  ];
  for (const [before, after] of cases) {
    it(`swaps "${before}" keeping its format`, () => expect(swapText(before, table)).to.equal(after));
  }

  const untouched = [
    '8 (495) 123-45-68',
    '849512345678',
    '124155550100',
    '41555501001',
    'order 4155550100123',
    '+7 (499) 123-45-67',
    'no digits here',
    '8 (495) 123 / 45 67',
  ];
  for (const text of untouched) {
    it(`leaves "${text}" alone`, () => expect(swapText(text, table)).to.equal(text));
  }

  it('finds positions of every digit of a match', () => {
    const found = findNumbers('tel 8(495)123-45-67', table);
    expect(found).to.have.length(1);
    expect(found[0]?.[0]).to.deep.equal([4, 6, 7, 8, 10, 11, 12, 14, 15, 17, 18]);
    expect(found[0]?.[1]).to.equal('84951234561');
  });

  it('swaps a number split across inline pieces, changing only the pieces that hold changed digits', () => {
    expect(swapParts(['8 800', ' ', '555', '-35-35'], buildTable([swap('+78005553535', '+78005553599')]))).to.deep.equal([
      '8 800',
      ' ',
      '555',
      '-35-99',
    ]);
    expect(swapParts(['(415) ', '555-', '0100'], table)).to.deep.equal(['(415) ', '555-', '0101']);
    expect(swapParts(['nothing', ' 123'], table)).to.equal(null);
  });

  it('swaps a number after an emoji (two UTF-16 units) in the same text or an earlier piece of the run', () => {
    expect(swapText('📞 8 (495) 123-45-67', table)).to.equal('📞 8 (495) 123-45-61');
    expect(swapParts(['📞 ', '(415) 555-0100'], table)).to.deep.equal(['📞 ', '(415) 555-0101']);
  });

  it('transfers digits position by position, putting a longer tail on the last digit', () => {
    expect(transferFormat('8 (495) 123-45-67', '84951234561')).to.equal('8 (495) 123-45-61');
    expect(replacementDigits(3, '12')).to.deep.equal(['1', '2', '']);
    expect(replacementDigits(2, '123')).to.deep.equal(['1', '23']);
  });

  it('rewrites tel: hrefs of canonical numbers to E.164, whatever their format', () => {
    expect(telHref('tel:84951234567', table)).to.equal('tel:+74951234561');
    expect(telHref('tel:+7%20(495)%20123-45-67', table)).to.equal('tel:+74951234561');
    expect(telHref('tel:(415) 555-0100;ext=12', table)).to.equal('tel:+14155550101');
    expect(telHref('TEL:+14155550100', table)).to.equal('tel:+14155550101');
    expect(telHref('tel:+14155550199', table)).to.equal(null);
    expect(telHref('https://example.com/4155550100', table)).to.equal(null);
  });

  it('re-swaps a number shown from an earlier answer when a newer answer arrives', () => {
    const newer = buildTable([swap('+74951234567', '+74951234562')], { '+74951234570': ['+74951234567', [...gatewayForms('+74951234570')]] });
    expect(swapText('8 (495) 123-45-70', newer)).to.equal('8 (495) 123-45-62');
    expect(swapText('8 (495) 123-45-67', newer)).to.equal('8 (495) 123-45-62');
  });
});
