// Inquiries: calls, web forms, callback requests and emails in one list (GET /v1/inquiries), filtered by kind.
// Calls open the call card; the other kinds open their own detail view (inquiry-card.js).
import { api } from '../api.js';
import { DateInput } from '../date-input.js';
import { html } from '../html.js';
import { addDays, fmtDuration, fmtShortDateTime, siteDayStart, t, tEnum } from '../i18n.js';
import { fmtPhone } from '../phone.js';
import { href, navigate, setQuery } from '../router.js';
import { site } from '../state.js';
import { Badge, DataTable, Empty, ErrorBox, Field, Loading, Page, useAsync } from '../ui.js';

export const KINDS = ['call', 'form', 'callback', 'email'];
const PAGE = 25;

/**
 * The kind filter over both list screens: "All" and the non-call kinds are this screen, "Calls" is the calls
 * screen with its own filters and CSV export.
 */
export function KindTabs({ current }) {
  const tabs = [
    ['', '/inquiries', t('inquiries.all')],
    ['call', '/calls', t('inquiryKinds.call')],
    ...KINDS.slice(1).map((k) => [k, '/inquiries', t(`inquiryKinds.${k}`)]),
  ];
  return html`<nav class="kind-tabs" aria-label=${t('inquiries.kindFilter')}>
    ${tabs.map(
      ([k, path, label]) =>
        html`<a class=${`kind-tab ${current === k ? 'on' : ''}`} aria-current=${current === k ? 'page' : undefined}
          href=${href(path, k && path === '/inquiries' ? { kind: k } : undefined)}>${label}</a>`,
    )}
  </nav>`;
}

export const kindTone = { call: 'info', form: 'ok', callback: 'warn', email: 'neutral' };
export const KindBadge = ({ kind }) => html`<${Badge} tone=${kindTone[kind] ?? 'neutral'}>${tEnum('inquiryKind', kind)}</${Badge}>`;

/** A call's outcome, or a request's status (a placed callback shows its call's outcome too). */
export function StatusText({ item }) {
  if (item.kind === 'call') {
    const key = item.status === 'ended' ? item.outcome || 'ended' : item.status;
    return html`<span class="contact"><span>${tEnum('outcome', key)}</span>${item.durationSeconds != null ? html`<span class="muted small">${fmtDuration(item.durationSeconds)}</span>` : null}</span>`;
  }
  if (item.kind === 'callback' && item.outcome)
    return html`<span class="contact"><span>${tEnum('inquiryStatus', item.status)}</span><span class="muted small">${tEnum('outcome', item.outcome)}</span></span>`;
  return html`<span>${tEnum('inquiryStatus', item.status)}</span>`;
}

const sourceMedium = (i) => (i.source || i.medium ? `${i.source ?? '—'} / ${i.medium ?? '—'}` : null);
const shortId = (id) => `…${String(id).slice(-6)}`;
const detailPath = (i) => (i.kind === 'call' ? `/calls/${i.id}` : `/inquiries/${i.id}`);

function Contact({ item }) {
  const phone = item.phone ? fmtPhone(item.phone) : null;
  const main = item.name || phone || item.email;
  if (!main) return html`<span class="muted">${t('inquiry.anonymous')}</span>`;
  const second = [phone, item.email].filter((x) => x && x !== main);
  return html`<span class="contact"><span class=${main === phone ? 'nowrap' : 'break'}>${main}</span>${second.map((x) => html`<span class="muted small break">${x}</span>`)}</span>`;
}

function About({ item }) {
  const text = item.subject || item.message;
  if (!text) return '—';
  return html`<span class="clip" title=${text}>${text.length > 90 ? `${text.slice(0, 90)}…` : text}</span>`;
}

function Filters({ query }) {
  const set = (patch) => setQuery({ ...patch, before: undefined });
  return html`<form class="filters" aria-label=${t('filter.label')} onSubmit=${(e) => e.preventDefault()}>
    <${Field} label=${t('filter.from')}><${DateInput} name="from" value=${query.from || ''} onChange=${(v) => set({ from: v || undefined })} /></${Field}>
    <${Field} label=${t('filter.to')}><${DateInput} name="to" value=${query.to || ''} onChange=${(v) => set({ to: v || undefined })} /></${Field}>
    <div class="filters-actions"><a class="btn btn-ghost" href=${href('/inquiries', query.kind ? { kind: query.kind } : undefined)}>${t('action.reset')}</a></div>
  </form>`;
}

export function InquiriesScreen({ query }) {
  const siteId = site.value?.id;
  const kind = KINDS.includes(query.kind) ? query.kind : '';
  // The list is newest first and pages by time: `before` is the next page's end, "to" the period's.
  const before = query.before ?? (query.to ? siteDayStart(addDays(query.to, 1)) : undefined);
  const page = useAsync(
    () =>
      api('/v1/inquiries', {
        query: { siteId, kind: kind || undefined, leadId: query.lead, from: query.from ? siteDayStart(query.from) : undefined, before, limit: PAGE },
      }),
    [siteId, JSON.stringify(query)],
  );
  const columns = [
    { label: t('inquiries.col.at'), render: (i) => html`<a class="nowrap" href=${`#${detailPath(i)}`}>${fmtShortDateTime(i.at)}</a>` },
    { label: t('inquiries.col.kind'), render: (i) => html`<${KindBadge} kind=${i.kind} />` },
    { label: t('inquiries.col.contact'), className: 'contact-cell', render: (i) => html`<${Contact} item=${i} />` },
    { label: t('inquiries.col.about'), className: 'about-cell', render: (i) => html`<${About} item=${i} />` },
    {
      label: t('inquiries.col.channel'),
      render: (i) =>
        html`<span class="contact">${i.channel?.name ?? html`<span class="muted">${t('common.none')}</span>`}${
          sourceMedium(i) ? html`<span class="muted small">${sourceMedium(i)}</span>` : null
        }</span>`,
    },
    { label: t('calls.col.campaign'), render: (i) => i.campaign ?? '—' },
    {
      label: t('inquiries.col.lead'),
      render: (i) =>
        i.leadId
          ? html`<a class="nowrap" href=${href('/inquiries', { lead: i.leadId })} title=${t('inquiries.sameLead')}><code>${shortId(i.leadId)}</code></a>`
          : '—',
    },
    { label: t('inquiries.col.status'), render: (i) => html`<${StatusText} item=${i} />` },
  ];
  const items = page.data?.items;
  const filtered = query.from || query.to || query.lead || kind;
  return html`<${Page} title=${t('inquiries.title')} subtitle=${t('inquiries.subtitle')}>
    <${KindTabs} current=${kind} />
    <${Filters} query=${query} />
    ${
      query.lead
        ? html`<p class="alert alert-ok lead-filter">${t('inquiries.leadOnly', { lead: shortId(query.lead) })}
            <a class="btn btn-small btn-ghost" href=${href('/inquiries', kind ? { kind } : undefined)}>${t('inquiries.showAll')}</a></p>`
        : null
    }
    ${kind === 'call' ? html`<p><a href="#/calls">${t('inquiries.callFilters')} →</a></p>` : null}
    <${ErrorBox} error=${page.error} retry=${page.reload} />
    ${
      page.loading && !items
        ? html`<${Loading} />`
        : html`<${DataTable} className=${`inquiries-table ${page.loading ? 'stale' : ''}`} caption=${t('inquiries.title')} columns=${columns} rows=${items || []}
            rowKey=${(i) => `${i.kind}:${i.id}`}
            onRow=${(i) => navigate(detailPath(i))}
            empty=${html`<${Empty} title=${t('inquiries.empty')} text=${filtered ? t('inquiries.emptyFiltered') : t('inquiries.emptyHint')} />`} />`
    }
    <nav class="pager" aria-label=${t('pager.label')}>
      ${query.before ? html`<button type="button" class="btn" onClick=${() => history.back()}>← ${t('pager.prev')}</button>` : null}
      ${page.data?.nextBefore ? html`<button type="button" class="btn" onClick=${() => navigate('/inquiries', { ...query, before: page.data.nextBefore })}>${t('pager.next')} →</button>` : null}
    </nav>
  </${Page}>`;
}
