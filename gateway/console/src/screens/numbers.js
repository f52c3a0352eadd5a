import { useState } from 'preact/hooks';
import { api } from '../api.js';
import { html } from '../html.js';
import { fmtDateTime, fmtDuration, fmtNumber, fmtPercent, t, tEnum, todayInSite } from '../i18n.js';
import { fmtPhone, keepNumbersTogether } from '../phone.js';
import { site } from '../state.js';
import { ActionButton, Badge, Card, DataTable, Empty, ErrorBox, Field, Loading, Modal, Page, Select, toast, useAsync } from '../ui.js';
import { PoolAccuracyCards } from './pool-accuracy.js';
import { PoolAutoscaleCard } from './pool-autoscale.js';

const statusTone = { active: 'ok', paused: 'warn', quarantined: 'bad', released: 'neutral' };

function useNumbersData(siteId) {
  return useAsync(async () => {
    const [numbers, pools, channels] = await Promise.all([
      api('/v1/tracking-numbers', { query: { siteId } }),
      api('/v1/pools', { query: { siteId } }),
      api('/v1/channels', { query: { siteId } }),
    ]);
    // Calls this month per number come from the reports API; without it the column stays empty, not wrong.
    const month = todayInSite().slice(0, 8);
    const perNumber = await api('/v1/reports/summary', { query: { siteId, from: `${month}01`, to: todayInSite(), groupBy: 'tracking_number' } })
      .then((r) => new Map(r.rows.map((x) => [x.label ?? x.key, x.calls])))
      .catch(() => null);
    const poolById = new Map(pools.items.map((p) => [p.id, p]));
    const channelById = new Map(channels.items.map((c) => [c.id, c]));
    return { numbers: numbers.items.filter((n) => n.status !== 'released'), pools: pools.items, poolById, channelById, perNumber };
  }, [siteId]);
}

function poolLabel(p, channelById) {
  if (!p) return t('numbers.unassigned');
  const ch = p.channelId ? channelById.get(p.channelId)?.name : null;
  return ch ? `${p.name} · ${ch}` : p.name;
}

function PoolHealth({ pool, onAdd }) {
  const h = useAsync(() => api(`/v1/pools/${pool.id}/health`, { query: { hours: 24 } }), [pool.id]);
  if (h.error) return html`<${ErrorBox} error=${h.error} />`;
  if (!h.data) return html`<${Loading} />`;
  const { live, window: w, recommendation: r } = h.data;
  const short = r.recommendedSize > live.size;
  return html`<article class=${`pool-health ${short ? 'is-short' : ''}`} aria-label=${pool.name}>
    <header class="row"><h3>${keepNumbersTogether(pool.name)}</h3><${Badge} tone=${pool.kind === 'session' ? 'info' : 'neutral'}>${tEnum('poolKind', pool.kind)}</${Badge}></header>
    <dl class="facts compact">
      <dt>${t('pools.occupancy')}</dt><dd><span class="meter" role="img" aria-label=${fmtPercent(live.utilisation)}><span class=${`meter-fill w${Math.min(10, Math.round(live.utilisation * 10))}`}></span></span> ${live.inUse} / ${live.size} (${fmtPercent(live.utilisation)})</dd>
      <dt>${t('pools.blocked')}</dt><dd class=${w.blocked ? 'text-bad' : ''}>${fmtNumber(w.blocked)} (${fmtPercent(w.blockedShare, 1)})</dd>
      <dt>${t('pools.reuseGap')}</dt><dd>${w.reuseGapSeconds ? fmtDuration(w.reuseGapSeconds.median) : '—'}</dd>
      <dt>${t('pools.recommended')}</dt><dd><strong>${r.recommendedSize}</strong></dd>
    </dl>
    ${
      short
        ? html`<div class="alert alert-warn"><span>${t('pools.tooSmall', { count: r.recommendedSize - live.size })}</span>
            <button type="button" class="btn btn-small btn-primary" onClick=${() => onAdd(pool)}>${t('pools.addNumbers')}</button></div>`
        : pool.kind === 'session'
          ? html`<p class="text-ok small">✓ ${t('pools.healthy')}</p>`
          : null
    }
  </article>`;
}

function BuyDialog({ siteId, pools, pool, onClose, onDone }) {
  const [q, setQ] = useState({ country: 'US', areaCode: '', contains: '' });
  const [poolId, setPoolId] = useState(pool?.id || pools[0]?.id || '');
  const [res, setRes] = useState(null);
  const [err, setErr] = useState(null);
  const search = async (e) => {
    e.preventDefault();
    setErr(null);
    try {
      setRes(
        await api('/v1/twilio/available-numbers', {
          query: { country: q.country, areaCode: q.areaCode || undefined, contains: q.contains || undefined, limit: 20 },
        }),
      );
    } catch (x) {
      setErr(x);
    }
  };
  const buy = async (n) => {
    await api('/v1/twilio/numbers', { method: 'POST', body: { phoneNumber: n.e164, siteId, ...(poolId ? { poolId } : {}) } });
    toast(t('numbers.bought', { number: fmtPhone(n.e164) }));
    onDone();
  };
  return html`<${Modal} title=${t('numbers.buyTitle')} onClose=${onClose} wide>
    <form class="row wrap" onSubmit=${search}>
      <${Field} label=${t('numbers.country')}><input name="country" value=${q.country} maxlength="2" pattern="[A-Za-z]{2}" onInput=${(e) => setQ({ ...q, country: e.currentTarget.value.toUpperCase() })} /></${Field}>
      <${Field} label=${t('numbers.areaCode')}><input name="areaCode" inputmode="numeric" value=${q.areaCode} onInput=${(e) => setQ({ ...q, areaCode: e.currentTarget.value })} /></${Field}>
      <${Field} label=${t('numbers.contains')}><input name="contains" value=${q.contains} onInput=${(e) => setQ({ ...q, contains: e.currentTarget.value })} /></${Field}>
      <${Field} label=${t('numbers.pool')}><${Select} name="poolId" value=${poolId} onChange=${setPoolId} options=${pools.map((p) => ({ value: p.id, label: p.name }))} /></${Field}>
      <button type="submit" class="btn btn-primary">${t('action.search')}</button>
    </form>
    <${ErrorBox} error=${err} />
    ${
      res
        ? html`<${DataTable} caption=${t('numbers.available')} rowKey=${(n) => n.e164} rows=${res.items}
            columns=${[
              { label: t('numbers.number'), render: (n) => html`<strong>${n.friendlyName}</strong>` },
              { label: t('numbers.where'), render: (n) => [n.locality, n.region, n.isoCountry].filter(Boolean).join(', ') },
              { label: t('numbers.caps'), render: (n) => ['voice', 'sms', 'mms'].filter((c) => n.capabilities[c]).join(' · ') },
              {
                label: '',
                render: (n) =>
                  html`<${ActionButton} className="btn btn-small btn-primary" onClick=${() => buy(n)}>${t('numbers.buy')}</${ActionButton}>`,
              },
            ]}
            empty=${html`<${Empty} title=${t('numbers.noneAvailable')} />`} />`
        : null
    }
  </${Modal}>`;
}

function RegisterDialog({ siteId, pools, onClose, onDone }) {
  const [err, setErr] = useState(null);
  const submit = async (e) => {
    e.preventDefault();
    const f = new FormData(e.currentTarget);
    try {
      await api('/v1/tracking-numbers', {
        method: 'POST',
        body: {
          e164: String(f.get('e164')).replace(/[^\d+]/g, ''),
          provider: 'asterisk',
          providerRef: f.get('label') || null,
          siteId,
          poolId: f.get('poolId') || null,
          forwardTo: f.get('forwardTo') || null,
        },
      });
      toast(t('numbers.registered'));
      onDone();
    } catch (x) {
      setErr(x);
    }
  };
  return html`<${Modal} title=${t('numbers.registerTitle')} onClose=${onClose}>
    <form class="stack" onSubmit=${submit}>
      <${Field} label=${t('numbers.did')} hint=${t('numbers.didHint')}><input name="e164" required placeholder="+74951234599" /></${Field}>
      <${Field} label=${t('numbers.label')}><input name="label" placeholder="trunk-1" /></${Field}>
      <${Field} label=${t('numbers.pool')}><select name="poolId">${pools.map((p) => html`<option value=${p.id}>${p.name}</option>`)}<option value="">${t('numbers.unassigned')}</option></select></${Field}>
      <${Field} label=${t('numbers.forwardTo')} hint=${t('numbers.forwardHint')}><input name="forwardTo" placeholder="+74951234500" /></${Field}>
      <${ErrorBox} error=${err} />
      <div class="row"><button type="submit" class="btn btn-primary">${t('numbers.register')}</button><button type="button" class="btn btn-ghost" onClick=${onClose}>${t('action.cancel')}</button></div>
    </form>
  </${Modal}>`;
}

export function NumbersScreen() {
  const siteId = site.value?.id;
  const data = useNumbersData(siteId);
  const [dialog, setDialog] = useState(null);
  if (data.error && !data.data) return html`<${Page} title=${t('numbers.title')}><${ErrorBox} error=${data.error} retry=${data.reload} /></${Page}>`;
  if (!data.data) return html`<${Loading} />`;
  const { numbers, pools, channelById, perNumber } = data.data;
  const patch = async (n, body, msg) => {
    await api(`/v1/tracking-numbers/${n.id}`, { method: 'PATCH', body });
    toast(msg);
    data.reload();
  };
  const release = async (n) => {
    await api(n.provider === 'twilio' ? `/v1/twilio/numbers/${n.id}` : `/v1/tracking-numbers/${n.id}`, { method: 'DELETE' });
    toast(t('numbers.released', { number: fmtPhone(n.e164) }));
    data.reload();
  };
  const done = () => {
    setDialog(null);
    data.reload();
  };
  return html`<${Page} title=${t('numbers.title')} subtitle=${t('numbers.subtitle')}
      actions=${html`<button type="button" class="btn btn-primary" onClick=${() => setDialog({ kind: 'buy' })}>${t('numbers.buyTwilio')}</button>
        <button type="button" class="btn" onClick=${() => setDialog({ kind: 'register' })}>${t('numbers.registerDid')}</button>`}>
    <${Card} title=${t('pools.title')}>
      ${pools.length ? html`<div class="pool-grid">${pools.map((p) => html`<${PoolHealth} key=${p.id} pool=${p} onAdd=${(pool) => setDialog({ kind: 'buy', pool })} />`)}</div>` : html`<${Empty} title=${t('pools.none')} text=${t('pools.noneHint')} />`}
    </${Card}>
    <${PoolAccuracyCards} pools=${pools} />
    <${PoolAutoscaleCard} pools=${pools} onChanged=${data.reload} />
    <${Card} title=${t('numbers.list', { count: numbers.length })}>
      <${DataTable} caption=${t('numbers.title')} rows=${numbers}
        columns=${[
          {
            label: t('numbers.number'),
            render: (n) =>
              html`<strong class="nowrap" title=${n.e164}>${fmtPhone(n.e164)}</strong><br /><span class="muted small">${n.provider === 'twilio' ? 'Twilio' : 'Asterisk'}${n.providerRef ? ` · ${n.providerRef}` : ''}</span>`,
          },
          {
            label: t('numbers.pool'),
            render: (
              n,
            ) => html`<label class="sr-only" for=${`pool-${n.id}`}>${t('numbers.moveTo')}</label><select id=${`pool-${n.id}`} class="compact" onChange=${(e) => patch(n, { poolId: e.currentTarget.value || null }, t('numbers.moved')).catch((x) => toast(x.message, 'error'))}>
              ${pools.map((p) => html`<option value=${p.id} selected=${p.id === n.poolId}>${poolLabel(p, channelById)}</option>`)}
              <option value="" selected=${!n.poolId}>${t('numbers.unassigned')}</option></select>`,
          },
          {
            label: t('numbers.forwardTo'),
            render: (n) => html`<span class="nowrap">${n.forwardTo ? fmtPhone(n.forwardTo) : t('numbers.siteDefault')}</span>`,
          },
          {
            label: t('numbers.status'),
            render: (n) =>
              html`<${Badge} tone=${statusTone[n.status]}>${tEnum('numberStatus', n.status)}</${Badge}>${n.quarantinedUntil && n.status === 'quarantined' ? html`<br /><span class="muted small">${t('numbers.until', { date: fmtDateTime(n.quarantinedUntil) })}</span>` : null}`,
          },
          { label: t('numbers.callsMonth'), className: 'num', render: (n) => (perNumber ? fmtNumber(perNumber.get(n.e164) ?? 0) : '—') },
          {
            label: t('card.col.action'),
            render: (n) => html`<div class="row nowrap-row">
              ${n.status === 'active' ? html`<${ActionButton} className="btn btn-small" onClick=${() => patch(n, { status: 'paused' }, t('numbers.paused'))}>${t('numbers.pause')}</${ActionButton}>` : html`<${ActionButton} className="btn btn-small" onClick=${() => patch(n, { status: 'active' }, t('numbers.resumed'))}>${t('numbers.resume')}</${ActionButton}>`}
              ${n.status !== 'quarantined' ? html`<${ActionButton} className="btn btn-small" onClick=${() => patch(n, { status: 'quarantined', quarantineDays: 30 }, t('numbers.quarantined'))}>${t('numbers.quarantine')}</${ActionButton}>` : null}
              <${ActionButton} className="btn btn-small btn-danger" confirm=${t('numbers.releaseConfirm', { number: fmtPhone(n.e164) })} onClick=${() => release(n)}>${t('numbers.release')}</${ActionButton}>
            </div>`,
          },
        ]}
        empty=${html`<${Empty} title=${t('numbers.empty')} text=${t('numbers.emptyHint')} />`} />
    </${Card}>
    ${dialog?.kind === 'buy' ? html`<${BuyDialog} siteId=${siteId} pools=${pools} pool=${dialog.pool} onClose=${() => setDialog(null)} onDone=${done} />` : null}
    ${dialog?.kind === 'register' ? html`<${RegisterDialog} siteId=${siteId} pools=${pools} onClose=${() => setDialog(null)} onDone=${done} />` : null}
  </${Page}>`;
}
