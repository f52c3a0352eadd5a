/** One visit as the DNI path records it (a Google Ads landing from a desktop browser), for the visit-write benchmarks. */
import { classifyVisit } from '../../gateway/src/features/dni/visit-classifier.js';
import type { VisitRecord } from '../../gateway/src/features/dni/visit-recorder.js';
import { BROWSER_UA } from './autocannon-rounds.js';

const LANDING = 'https://www.example.com/landing?utm_source=google&utm_medium=cpc&gclid=abc';
const VISIT = classifyVisit({ pageUrl: LANDING, referrer: 'https://www.google.com/', siteDomains: ['www.example.com'] });

/** Session `s<session>` of visitor `v<session>` on page `/p/<page>`. */
export function benchVisit(accountId: string, siteId: string, session: number, page: number): VisitRecord {
  return {
    accountId,
    siteId,
    visitorId: `v${session}`,
    sessionId: `s${session}`,
    channelId: null,
    pageUrl: `https://www.example.com/p/${page}`,
    referrer: 'https://www.google.com/',
    visit: VISIT,
    utmSource: 'google',
    utmMedium: 'cpc',
    device: { w: 1920, h: 1080, touch: false, lang: 'en-US', ua: BROWSER_UA },
    clientIds: {},
    ipHash: 'ab'.repeat(32),
    consent: 'not_required',
    isBot: false,
    leased: true,
    attributionTouch: 'first',
    at: new Date(),
  };
}
