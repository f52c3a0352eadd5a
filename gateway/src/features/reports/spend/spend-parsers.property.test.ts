import { expect } from 'chai';
import fc from 'fast-check';
import { parseGoogleAdsSpend } from './google-ads-spend.js';
import { readCsv } from './spend-csv.js';
import { parseYandexMetricaSpend } from './yandex-metrica-spend.js';

/** Properties of the spend-file readers over generated files (fast-check). */

const cell = fc.oneof(fc.string({ maxLength: 12 }), fc.constantFrom('"', ',', '\n', '""', '2026-11-20', '1 234,50', '-1', '\u0000', '\ufeff'));

describe('spend file readers (property-based)', function () {
  this.timeout(30_000);
  it('never throw on any text: a bad file is a list of line errors', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 600 }), (text) => {
        for (const parsed of [
          parseYandexMetricaSpend(text),
          parseGoogleAdsSpend(text, { campaignKey: 'name' }),
          parseGoogleAdsSpend(text, { campaignKey: 'id' }),
        ]) {
          expect(parsed.rows).to.be.at.least(0);
          for (const e of parsed.errors) expect(e.line).to.be.a('number').and.at.least(1);
        }
      }),
      { numRuns: 400 },
    );
  });

  it('reads back every cell of a CSV it is given, quoted as RFC 4180 says', () => {
    const row = fc.array(cell, { minLength: 1, maxLength: 6 }).filter((r) => r.some((c) => c.trim() !== ''));
    fc.assert(
      fc.property(fc.array(row, { minLength: 1, maxLength: 6 }), (rows) => {
        const text = rows.map((r) => r.map((c) => `"${c.replace(/"/g, '""')}"`).join(',')).join('\r\n');
        const { records, error } = readCsv(text);
        expect(error).to.equal(null);
        // Trimming applies around quotes, not inside them: quoted cells come back exactly.
        expect(records.map((r) => r.cells)).to.deep.equal(rows);
      }),
      { numRuns: 400 },
    );
  });
});
