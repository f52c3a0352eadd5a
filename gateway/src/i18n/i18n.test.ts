import { expect } from 'chai';
import { en } from './catalog-en.js';
import { ru } from './catalog-ru.js';
import { LOCALES, isLocale, t } from './i18n.js';

describe('message catalogs', () => {
  it('every locale has every key, with the same placeholders', () => {
    const placeholders = (m: unknown) => [...new Set([...JSON.stringify(m).matchAll(/\{(\w+)\}/g)].map((x) => x[1]))].sort();
    for (const key of Object.keys(en) as (keyof typeof en)[]) {
      expect(placeholders(ru[key]), key).to.deep.equal(placeholders(en[key]));
    }
    expect(Object.keys(ru).sort()).to.deep.equal(Object.keys(en).sort());
  });

  it('fills parameters', () => {
    expect(t('en', 'voice.whisper', { source: 'Google Ads' })).to.equal('Call from Google Ads');
    expect(t('ru', 'voice.whisper', { source: 'Яндекс Директ' })).to.equal('Звонок: Яндекс Директ');
  });

  it('picks Russian plural forms through Intl.PluralRules', () => {
    expect(t('ru', 'lead.talk', { count: 1 })).to.equal('разговор 1 секунда');
    expect(t('ru', 'lead.talk', { count: 3 })).to.equal('разговор 3 секунды');
    expect(t('ru', 'lead.talk', { count: 11 })).to.equal('разговор 11 секунд');
    expect(t('ru', 'lead.talk', { count: 21 })).to.equal('разговор 21 секунда');
    expect(t('ru', 'lead.talk', { count: 25 })).to.equal('разговор 25 секунд');
  });

  it('knows its locales', () => {
    expect([...LOCALES]).to.deep.equal(['en', 'ru']);
    expect(isLocale('ru')).to.equal(true);
    expect(isLocale('de')).to.equal(false);
  });
});
