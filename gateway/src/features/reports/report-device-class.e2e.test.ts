import { expect } from 'chai';
import { useTestDatabase } from '../../../test/helpers/db.js';
import { keySql } from './report-sql.js';

// Report facts carry the device class from the SQL function report_device_class; the live report derives it with
// keySql('device'). Both must answer alike for every user agent, or a report changes with the path that serves it.
describe('report_device_class', () => {
  const t = useTestDatabase();

  it('classifies user agents as the live report expression does', async () => {
    const uas = [
      null,
      '',
      'Mozilla/5.0 (iPad; CPU OS 17_0 like Mac OS X) AppleWebKit/605.1.15',
      'Mozilla/5.0 (Linux; Android 14; SM-X910) AppleWebKit/537.36 Safari/537.36',
      'Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 Mobile Safari/537.36',
      'Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X)',
      'Mozilla/5.0 (iPod touch; CPU iPhone OS 12_0)',
      'Opera/9.80 (J2ME/MIDP; Opera Mini/9.80 (S60; SymbOS))',
      'Mozilla/5.0 (Windows Phone 10.0; Android 6.0.1) Edge/15.15063',
      'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 Chrome/131.0.0.0 Safari/537.36',
      'Mozilla/5.0 (Linux; U; Android 4.0.3; KFTT Build/IML74K) Silk/3.4',
      'KINDLE',
      'BlackBerry9700/5.0.0.351',
      'IEMobile/10.0',
      'Mozilla/5.0 (PlayBook; U; RIM Tablet OS 2.1.0)',
      'ANDROID MOBILE',
      'Mozilla/5.0 (Windows NT 10.0; Win64; x64; Touch) Tablet PC 2.0',
    ];
    const { rows } = (await t.db.knex.raw(
      `SELECT ua, report_device_class(ua) AS fact, ${keySql('device')} AS live FROM unnest(?::text[]) AS u (ua)`,
      [uas as string[]],
    )) as { rows: { ua: string | null; fact: string | null; live: string | null }[] };
    expect(rows).to.have.length(uas.length);
    for (const r of rows) expect(r.fact, String(r.ua)).to.equal(r.live);
    expect(rows.map((r) => r.fact)).to.include.members(['tablet', 'mobile', 'desktop']);
  });
});
