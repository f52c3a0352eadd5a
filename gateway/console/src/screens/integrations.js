import { useState } from 'preact/hooks';
import { DeliveryNote, DeliveryStatus, canRetry, deliveryTarget } from '../call-view.js';
import { api } from '../api.js';
import { html } from '../html.js';
import { fmtDateTime, fmtShortDateTime, t, tEnum } from '../i18n.js';
import { site } from '../state.js';
import { ActionButton, Badge, Card, CopyButton, DataTable, Empty, ErrorBox, Field, Loading, Modal, Page, Select, toast, useAsync } from '../ui.js';

/** The fields each CRM kind asks for: [name, where it goes (config|secrets), input type, required]. */
const KIND_FIELDS = {
  webhook: [
    ['url', 'config', 'url', true],
    ['secret', 'secrets', 'text', true],
  ],
  retailcrm: [
    ['baseUrl', 'config', 'url', true],
    ['site', 'config', 'text', true],
    ['apiKey', 'secrets', 'password', true],
    ['orderMethod', 'config', 'text', false],
  ],
  bitrix24: [['webhookUrl', 'secrets', 'url', true]],
  amocrm: [
    ['baseUrl', 'config', 'url', true],
    ['accessToken', 'secrets', 'password', true],
    ['pipelineId', 'config', 'number', false],
  ],
};
const TRIGGERS = ['call.started', 'call.answered', 'call.ended', 'recording.ready', 'attribution.changed'];

function randomSecret() {
  const b = new Uint8Array(24);
  crypto.getRandomValues(b);
  return `whsec_${btoa(String.fromCharCode(...b))}`;
}

function SinkDialog({ siteId, onClose, onDone }) {
  const [kind, setKind] = useState('webhook');
  const [err, setErr] = useState(null);
  const [created, setCreated] = useState(null);
  const submit = async (e) => {
    e.preventDefault();
    const f = new FormData(e.currentTarget);
    const config = {};
    const secrets = {};
    for (const [name, where, type] of KIND_FIELDS[kind]) {
      const v = String(f.get(name) ?? '').trim();
      if (!v) continue;
      (where === 'config' ? config : secrets)[name] = type === 'number' ? Number(v) : v;
    }
    const deliverOn = TRIGGERS.filter((x) => f.get(`on-${x}`));
    try {
      const res = await api(`/v1/sites/${siteId}/crm-sinks`, {
        method: 'POST',
        body: { kind, name: f.get('name'), config, secrets, ...(deliverOn.length ? { deliverOn } : {}) },
      });
      setCreated(res);
      onDone();
    } catch (x) {
      setErr(x);
    }
  };
  if (created)
    return html`<${Modal} title=${t('sinks.created')} onClose=${onClose}>
      <p>${t('sinks.feedbackToken')}</p>
      <pre class="snippet"><code>${created.feedbackToken}</code></pre>
      <div class="row"><${CopyButton} text=${created.feedbackToken} /><button type="button" class="btn btn-primary" onClick=${onClose}>${t('action.done')}</button></div>
    </${Modal}>`;
  return html`<${Modal} title=${t('sinks.add')} onClose=${onClose} wide>
    <form class="stack" onSubmit=${submit}>
      <div class="row wrap">
        <${Field} label=${t('sinks.kind')}><${Select} name="kind" value=${kind} onChange=${setKind} options=${Object.keys(KIND_FIELDS).map((k) => ({ value: k, label: tEnum('sinkKind', k) }))} /></${Field}>
        <${Field} label=${t('sinks.name')} className="grow"><input name="name" required maxlength="200" value=${tEnum('sinkKind', kind)} /></${Field}>
      </div>
      <div class="form-grid" key=${kind}>
        ${KIND_FIELDS[kind].map(
          ([name, , type, required]) => html`<${Field} label=${t(`sinks.f.${name}`)} hint=${t(`sinks.h.${name}`)}>
            <input name=${name} type=${type} required=${required} value=${name === 'secret' ? randomSecret() : ''} autocomplete="off" /></${Field}>`,
        )}
      </div>
      <fieldset class="checks-row"><legend>${t('sinks.deliverOn')}</legend>
        ${TRIGGERS.map((x) => html`<label class="check"><input type="checkbox" name=${`on-${x}`} checked=${x === 'call.ended'} /> ${tEnum('trigger', x)}</label>`)}
      </fieldset>
      <${ErrorBox} error=${err} />
      <div class="row"><button type="submit" class="btn btn-primary">${t('action.create')}</button><button type="button" class="btn btn-ghost" onClick=${onClose}>${t('action.cancel')}</button></div>
    </form>
  </${Modal}>`;
}

function Sinks({ siteId }) {
  const sinks = useAsync(() => api(`/v1/sites/${siteId}/crm-sinks`), [siteId]);
  const failed = useAsync(() => api('/v1/outbox', { query: { status: 'dead', limit: 50 } }), [siteId]);
  const recent = useAsync(() => api('/v1/outbox', { query: { limit: 20 } }), [siteId]);
  const [adding, setAdding] = useState(false);
  const byId = new Map((sinks.data?.items || []).map((s) => [s.id, s]));
  const reload = () => {
    sinks.reload();
    failed.reload();
    recent.reload();
  };
  const deliveryCols = [
    { label: t('card.col.sink'), render: (m) => byId.get(m.sinkId)?.name ?? '—' },
    { label: t('card.col.event'), render: (m) => tEnum('trigger', m.payload?.trigger ?? m.topic) },
    { label: t('card.col.status'), render: (m) => html`<${DeliveryStatus} m=${m} />` },
    { label: t('card.col.when'), render: (m) => html`<span class="nowrap">${fmtShortDateTime(m.deliveredAt ?? m.createdAt)}</span>` },
    { label: t('card.col.error'), render: (m) => html`<${DeliveryNote} m=${m} />` },
    { label: t('sinks.inquiry'), render: (m) => (deliveryTarget(m) ? html`<a href=${deliveryTarget(m)}>${t('sinks.openCall')}</a>` : '—') },
    {
      label: t('card.col.action'),
      render: (m) =>
        canRetry(m)
          ? html`<${ActionButton} className="btn btn-small" onClick=${async () => {
              await api(`/v1/outbox/${m.id}/retry`, { method: 'POST' });
              toast(t('card.retried'));
              reload();
            }}>${t('action.retry')}</${ActionButton}>`
          : '—',
    },
  ];
  return html`
    <${Card} title=${t('sinks.title')} actions=${html`<button type="button" class="btn btn-primary btn-small" onClick=${() => setAdding(true)}>${t('sinks.add')}</button>`}>
      <${ErrorBox} error=${sinks.error} retry=${sinks.reload} />
      ${
        sinks.data
          ? html`<${DataTable} caption=${t('sinks.title')} rows=${sinks.data.items}
              columns=${[
                {
                  label: t('sinks.name'),
                  render: (s) => html`<strong>${s.name}</strong>${s.managedBy ? html` <${Badge}>${t('sinks.env')}</${Badge}>` : null}`,
                },
                { label: t('sinks.kind'), render: (s) => tEnum('sinkKind', s.kind) },
                { label: t('sinks.deliverOn'), render: (s) => s.deliverOn.map((x) => tEnum('trigger', x)).join(', ') },
                {
                  label: t('card.col.status'),
                  render: (s) =>
                    html`<${Badge} tone=${s.status === 'active' ? 'ok' : 'bad'}>${tEnum('sinkStatus', s.status)}</${Badge}>${s.disabledReason ? html`<br /><span class="small muted">${s.disabledReason === 'disabled by a user' ? t('sinks.disabledByUser') : s.disabledReason}</span>` : null}`,
                },
                {
                  label: t('card.col.action'),
                  render: (s) => html`<div class="row nowrap-row">
                    <${ActionButton} className="btn btn-small" onClick=${async () => {
                      const r = await api(`/v1/sites/${siteId}/crm-sinks/${s.id}/test`, { method: 'POST' });
                      toast(t('sinks.testQueued', { id: r.id.slice(-6) }));
                      reload();
                    }}>${t('sinks.test')}</${ActionButton}>
                    <${ActionButton} className="btn btn-small" onClick=${async () => {
                      const r = await api('/v1/outbox/replay', {
                        method: 'POST',
                        body: { sinkId: s.id, from: new Date(Date.now() - 7 * 86_400_000).toISOString() },
                      });
                      toast(t('sinks.replayed', { count: r.replayed }));
                      reload();
                    }}>${t('sinks.replay')}</${ActionButton}>
                    <${ActionButton} className="btn btn-small" onClick=${async () => {
                      await api(`/v1/sites/${siteId}/crm-sinks/${s.id}`, {
                        method: 'PATCH',
                        body: { status: s.status === 'active' ? 'disabled' : 'active' },
                      });
                      reload();
                    }}>${s.status === 'active' ? t('action.disable') : t('action.enable')}</${ActionButton}>
                    ${
                      s.managedBy
                        ? null
                        : html`<${ActionButton} className="btn btn-small btn-danger" confirm=${t('sinks.deleteConfirm', { name: s.name })} onClick=${async () => {
                            await api(`/v1/sites/${siteId}/crm-sinks/${s.id}`, { method: 'DELETE' });
                            reload();
                          }}>${t('action.delete')}</${ActionButton}>`
                    }
                  </div>`,
                },
              ]}
              empty=${html`<${Empty} title=${t('sinks.none')} text=${t('sinks.noneHint')} />`} />`
          : html`<${Loading} />`
      }
    </${Card}>
    <${Card} title=${t('sinks.failed')}>
      <${ErrorBox} error=${failed.error} />
      ${failed.data ? html`<${DataTable} caption=${t('sinks.failed')} rows=${failed.data.items} columns=${deliveryCols} empty=${html`<p class="muted">✓ ${t('sinks.noFailed')}</p>`} />` : null}
    </${Card}>
    <${Card} title=${t('sinks.recent')}>
      ${recent.data ? html`<${DataTable} caption=${t('sinks.recent')} rows=${recent.data.items} columns=${deliveryCols} empty=${html`<p class="muted">${t('card.noDeliveries')}</p>`} />` : null}
    </${Card}>
    ${adding ? html`<${SinkDialog} siteId=${siteId} onClose=${() => setAdding(false)} onDone=${reload} />` : null}`;
}

function ApiKeys() {
  const keys = useAsync(() => api('/v1/api-keys'), []);
  const [shown, setShown] = useState(null);
  const [err, setErr] = useState(null);
  const create = async (e) => {
    e.preventDefault();
    const f = new FormData(e.currentTarget);
    try {
      const res = await api('/v1/api-keys', { method: 'POST', body: { name: f.get('name'), role: f.get('role') } });
      setShown(res);
      e.currentTarget?.reset?.();
      keys.reload();
    } catch (x) {
      setErr(x);
    }
  };
  return html`<${Card} title=${t('keys.title')}>
    <form class="inline-form" onSubmit=${create}>
      <label class="field grow"><span class="field-label">${t('keys.name')}</span><input name="name" required maxlength="100" placeholder=${t('keys.namePlaceholder')} /></label>
      <label class="field"><span class="field-label">${t('keys.role')}</span><select name="role">${['analyst', 'manager', 'admin'].map((r) => html`<option value=${r}>${t(`role.${r}`)}</option>`)}</select></label>
      <button type="submit" class="btn btn-primary">${t('keys.create')}</button>
    </form>
    <${ErrorBox} error=${err || keys.error} />
    ${
      shown
        ? html`<div class="alert alert-warn" role="status"><p><strong>${t('keys.once')}</strong></p><pre class="snippet"><code>${shown.token}</code></pre><${CopyButton} text=${shown.token} />
            <button type="button" class="btn btn-small btn-ghost" onClick=${() => setShown(null)}>${t('action.done')}</button></div>`
        : null
    }
    ${
      keys.data
        ? html`<${DataTable} caption=${t('keys.title')} rows=${keys.data.items}
            columns=${[
              { label: t('keys.name'), render: (k) => html`<strong>${k.name}</strong>` },
              { label: t('keys.role'), render: (k) => t(`role.${k.role}`) },
              { label: t('keys.prefix'), render: (k) => html`<code>${k.displayPrefix}…</code>` },
              { label: t('keys.lastUsed'), render: (k) => fmtDateTime(k.lastUsedAt) },
              {
                label: t('card.col.status'),
                render: (k) =>
                  k.revokedAt
                    ? html`<${Badge} tone="neutral">${t('keys.revoked')}</${Badge}>`
                    : html`<${Badge} tone="ok">${t('keys.active')}</${Badge}>`,
              },
              {
                label: t('card.col.action'),
                render: (k) =>
                  k.revokedAt
                    ? '—'
                    : html`<${ActionButton} className="btn btn-small btn-danger" confirm=${t('keys.revokeConfirm', { name: k.name })} onClick=${async () => {
                        await api(`/v1/api-keys/${k.id}`, { method: 'DELETE' });
                        keys.reload();
                      }}>${t('keys.revoke')}</${ActionButton}>`,
              },
            ]}
            empty=${html`<${Empty} title=${t('keys.none')} text=${t('keys.noneHint')} />`} />`
        : null
    }
  </${Card}>`;
}

export function IntegrationsScreen() {
  const siteId = site.value?.id;
  return html`<${Page} title=${t('integrations.title')} subtitle=${t('integrations.subtitle')}>
    ${siteId ? html`<${Sinks} siteId=${siteId} />` : html`<${Empty} title=${t('sites.none')} />`}
    <${ApiKeys} />
  </${Page}>`;
}
