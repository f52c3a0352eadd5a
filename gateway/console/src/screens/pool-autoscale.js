import { api } from '../api.js';
import { html } from '../html.js';
import { fmtDateTime, fmtMoney, fmtNumber, t, tEnum } from '../i18n.js';
import { fmtPhone, keepNumbersTogether } from '../phone.js';
import { isAdmin } from '../state.js';
import { ActionButton, Badge, Card, DataTable, Empty, ErrorBox, Loading, toast, useAsync } from '../ui.js';

const statusTone = { done: 'ok', pending: 'warn', undone: 'neutral', rejected: 'neutral', failed: 'bad' };

/** Why the autoscaler acted, from the figures it logged. */
function why(a) {
  const d = a.details || {};
  if (a.status === 'failed') return t('autoscale.why.failed', { error: d.error ?? '' });
  if (a.action === 'release') return t('autoscale.why.recentCalls', { count: Number(d.recentCalls ?? 0) });
  if (a.action === 'quarantine') return t('autoscale.why.pausedDays', { count: Number(d.pausedDays ?? 0) });
  if (d.undoes || d.rejects) return t('autoscale.why.byAdmin');
  if (d.recommendedSize !== undefined) return t('autoscale.why.size', { recommended: d.recommendedSize, active: d.activeNumbers });
  return '';
}

function PoolAutoscale({ pool, onChanged }) {
  const d = useAsync(async () => {
    const [state, log] = await Promise.all([
      api(`/v1/pools/${pool.id}/autoscale`),
      api(`/v1/pools/${pool.id}/autoscale/actions`, { query: { limit: 20 } }),
    ]);
    return { state, items: log.items };
  }, [pool.id]);
  if (d.error) return html`<${ErrorBox} error=${d.error} />`;
  if (!d.data) return html`<${Loading} />`;
  const { state, items } = d.data;
  const s = state.settings;
  const act = async (a, verb, msg) => {
    await api(`/v1/pools/${pool.id}/autoscale/actions/${a.id}/${verb}`, { method: 'POST' });
    toast(msg);
    d.reload();
    onChanged();
  };
  const toggle = async () => {
    await api(`/v1/pools/${pool.id}/autoscale`, { method: 'PUT', body: { enabled: !s.enabled } });
    toast(s.enabled ? t('autoscale.turnedOff') : t('autoscale.turnedOn'));
    d.reload();
  };
  return html`<section class="autoscale" aria-label=${t('autoscale.for', { pool: pool.name })}>
    <header class="row wrap">
      <h3>${keepNumbersTogether(pool.name)}</h3>
      <${Badge} tone=${s.enabled ? 'ok' : 'neutral'}>${s.enabled ? t('autoscale.on') : t('autoscale.off')}</${Badge}>
      ${isAdmin() ? html`<${ActionButton} className="btn btn-small" onClick=${toggle}>${s.enabled ? t('autoscale.turnOff') : t('autoscale.turnOn')}</${ActionButton}>` : null}
    </header>
    <p class="muted small">${t('autoscale.limits', { max: fmtNumber(s.maxSize), cap: fmtMoney(s.monthlyCostCap, s.currency), each: fmtMoney(s.numberMonthlyCost, s.currency) })}</p>
    ${state.pending ? html`<div class="alert alert-warn"><span>${t('autoscale.pending', { count: state.pending })}</span></div>` : null}
    <${DataTable} caption=${t('autoscale.log')} rows=${items} className="autoscale-log"
      columns=${[
        { label: t('autoscale.col.when'), render: (a) => html`<span class="nowrap">${fmtDateTime(a.createdAt)}</span>` },
        { label: t('autoscale.col.number'), render: (a) => html`<span class="nowrap">${a.e164 ? fmtPhone(a.e164) : '—'}</span>` },
        { label: t('autoscale.col.action'), render: (a) => tEnum('autoscale.action', a.action) },
        {
          label: t('autoscale.col.status'),
          render: (a) => html`<${Badge} tone=${statusTone[a.status]}>${tEnum('autoscale.status', a.status)}</${Badge}>`,
        },
        { label: t('autoscale.col.why'), render: (a) => why(a) },
        { label: t('autoscale.col.by'), render: (a) => (a.decidedBy ? t('autoscale.byAdmin') : t('autoscale.byAutoscaler')) },
        {
          label: t('card.col.action'),
          render: (a) =>
            !isAdmin()
              ? null
              : a.undoable
                ? html`<${ActionButton} className="btn btn-small" onClick=${() => act(a, 'undo', t('autoscale.undone'))}>${t('autoscale.undo')}</${ActionButton}>`
                : a.status === 'pending'
                  ? html`<div class="row nowrap-row">
                      <${ActionButton} className="btn btn-small btn-danger" confirm=${t('autoscale.confirmRelease', { number: a.e164 ? fmtPhone(a.e164) : '' })} onClick=${() => act(a, 'confirm', t('autoscale.confirmed'))}>${t('autoscale.confirm')}</${ActionButton}>
                      <${ActionButton} className="btn btn-small" onClick=${() => act(a, 'reject', t('autoscale.kept'))}>${t('autoscale.keep')}</${ActionButton}>
                    </div>`
                  : a.action === 'release' && a.status === 'done'
                    ? html`<span class="muted small">${t('autoscale.final')}</span>`
                    : null,
        },
      ]}
      empty=${html`<${Empty} title=${t('autoscale.empty')} text=${s.enabled ? t('autoscale.emptyOn') : t('autoscale.emptyOff')} />`} />
  </section>`;
}

/** Autoscaling of each session pool: its limits, the action log, and an admin's undo, confirmation or refusal. */
export function PoolAutoscaleCard({ pools, onChanged }) {
  const session = pools.filter((p) => p.kind === 'session');
  if (!session.length) return null;
  return html`<${Card} title=${t('autoscale.title')}>
    <p class="muted small">${t('autoscale.intro')}</p>
    ${session.map((p) => html`<${PoolAutoscale} key=${p.id} pool=${p} onChanged=${onChanged} />`)}
  </${Card}>`;
}
