import { readFileSync } from 'node:fs';
import { expect } from 'chai';
import { buildLists, buildListsFrom, hostOf, parseMatomo, referrersDir } from './build-referrer-lists.js';

describe('build-referrer-lists', () => {
  it('reads engine urls and social hosts from the YAML subset Matomo uses', () => {
    const search = [
      'Google:',
      '  -',
      '    urls:',
      '      - google.com',
      "      - 'google.{}'",
      '    params:',
      '      - q',
      'Bing:',
      '  -',
      '    urls:',
      '      - bing.com/images/search',
      '      - bing.com',
    ].join('\n');
    expect(parseMatomo(search, 'urls')).to.deep.equal([
      ['Google', 'google.com'],
      ['Google', 'google.{}'],
      ['Bing', 'bing.com/images/search'],
      ['Bing', 'bing.com'],
    ]);
    expect(parseMatomo('Facebook:\n  - facebook.com\n  - fb.me\n\nVK:\n  - vk.com\n', null)).to.deep.equal([
      ['Facebook', 'facebook.com'],
      ['Facebook', 'fb.me'],
      ['VK', 'vk.com'],
    ]);
  });

  it('keeps hosts only, without www., with {} placeholders, and adds the local social hosts', () => {
    expect(hostOf('www.Google.com')).to.equal('google.com');
    expect(hostOf('google.{}/cse')).to.equal('google.{}');
    expect(hostOf('android-app//com.x/https/www.google.com')).to.equal(null);
    const lists = buildLists('X:\n  -\n    urls:\n      - x.com/search\n      - www.x.com\n', 'Y:\n  - y.com\n');
    expect(lists.search).to.deep.equal({ 'x.com': 'X' });
    expect(lists.social).to.include({ 'y.com': 'Y', 'ok.ru': 'Odnoklassniki', 't.me': 'Telegram', 'dzen.ru': 'Dzen' });
  });

  it('matches the committed referrer-lists.json (regenerate with npx tsx scripts/build-referrer-lists.ts)', function () {
    const dir = referrersDir();
    if (!dir) this.skip();
    const committed = JSON.parse(readFileSync(new URL('../gateway/src/features/dni/referrer-lists.json', import.meta.url), 'utf8'));
    expect(buildListsFrom(dir as string)).to.deep.equal(committed);
  });
});
