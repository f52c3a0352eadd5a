import { api } from '../api.js';
import { DateInput } from '../date-input.js';
import { html } from '../html.js';
import { addDays, siteDayStart, t } from '../i18n.js';
import { navigate, setQuery } from '../router.js';
import { Card, Empty, ErrorBox, Field, Loading, Page, Select, useAsync } from '../ui.js';
import { AuditLines } from './call-card.js';

const GROUPS = ['', 'recording.', 'call.', 'site.', 'number.', 'crm_sink.', 'user.', 'api_key.', 'outbox.'];

export function AuditScreen({ query }) {
  const res = useAsync(
    () =>
      api('/v1/audit', {
        query: {
          action: query.action,
          from: query.from ? siteDayStart(query.from) : undefined,
          to: query.to ? siteDayStart(addDays(query.to, 1)) : undefined,
          limit: 50,
          cursor: query.cursor,
        },
      }),
    [JSON.stringify(query)],
  );
  return html`<${Page} title=${t('audit.title')} subtitle=${t('audit.subtitle')}>
    <form class="filters" aria-label=${t('filter.label')} onSubmit=${(e) => e.preventDefault()}>
      <${Field} label=${t('audit.kind')}><${Select} name="action" value=${query.action} options=${GROUPS.map((g) => ({ value: g, label: t(`auditGroup.${g || 'all'}`) }))} onChange=${(v) => setQuery({ action: v || undefined, cursor: undefined })} /></${Field}>
      <${Field} label=${t('filter.from')}><${DateInput} name="from" value=${query.from || ''} onChange=${(v) => setQuery({ from: v || undefined, cursor: undefined })} /></${Field}>
      <${Field} label=${t('filter.to')}><${DateInput} name="to" value=${query.to || ''} onChange=${(v) => setQuery({ to: v || undefined, cursor: undefined })} /></${Field}>
    </form>
    <${ErrorBox} error=${res.error} retry=${res.reload} />
    <${Card}>
      ${res.data ? (res.data.items.length ? html`<${AuditLines} items=${res.data.items} link />` : html`<${Empty} title=${t('audit.empty')} />`) : html`<${Loading} />`}
    </${Card}>
    <nav class="pager" aria-label=${t('pager.label')}>
      ${query.cursor ? html`<button type="button" class="btn" onClick=${() => history.back()}>← ${t('pager.prev')}</button>` : null}
      ${res.data?.nextCursor ? html`<button type="button" class="btn" onClick=${() => navigate('/audit', { ...query, cursor: res.data.nextCursor })}>${t('pager.next')} →</button>` : null}
    </nav>
  </${Page}>`;
}
