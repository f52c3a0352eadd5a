import { useState } from 'preact/hooks';
import { api } from '../api.js';
import { html } from '../html.js';
import { t, tEnum } from '../i18n.js';
import { fmtPhone } from '../phone.js';
import { navigate } from '../router.js';
import { reloadSites } from '../state.js';
import { ActionButton, Badge, Card, CopyButton, DataTable, Empty, ErrorBox, Field, Loading, Modal, Page, toast, useAsync } from '../ui.js';

const KINDS = ['paid_search', 'organic_search', 'paid_social', 'social', 'referral', 'direct', 'email', 'display', 'offline', 'custom'];
const RULE_FIELDS = ['utm_source', 'utm_medium', 'utm_campaign', 'click_id', 'referrer_host'];
const lines = (s) =>
  s
    .split(/[\n,]/)
    .map((x) => x.trim())
    .filter(Boolean);

export function SitesScreen() {
  const list = useAsync(() => api('/v1/sites'), []);
  const [creating, setCreating] = useState(false);
  const [err, setErr] = useState(null);
  const create = async (e) => {
    e.preventDefault();
    const f = new FormData(e.currentTarget);
    try {
      const s = await api('/v1/sites', {
        method: 'POST',
        body: { name: f.get('name'), domains: lines(String(f.get('domains'))), timezone: f.get('timezone') || 'UTC' },
      });
      await reloadSites();
      navigate(`/sites/${s.id}`);
    } catch (x) {
      setErr(x);
    }
  };
  return html`<${Page} title=${t('sites.title')} subtitle=${t('sites.subtitle')} actions=${html`<button type="button" class="btn btn-primary" onClick=${() => setCreating(true)}>${t('sites.add')}</button>`}>
    <${ErrorBox} error=${list.error} retry=${list.reload} />
    ${
      list.data
        ? html`<${DataTable} caption=${t('sites.title')} rows=${list.data.items} onRow=${(s) => navigate(`/sites/${s.id}`)}
            columns=${[
              { label: t('sites.name'), render: (s) => html`<a href=${`#/sites/${s.id}`}><strong>${s.name}</strong></a>` },
              { label: t('sites.domains'), render: (s) => s.domains.join(', ') || '—' },
              {
                label: t('sites.numbers'),
                render: (s) =>
                  s.canonicalNumbers.length
                    ? html`<span>${s.canonicalNumbers.map((n, i) => html`${i ? ', ' : ''}<span class="nowrap">${fmtPhone(n)}</span>`)}</span>`
                    : '—',
              },
              { label: t('sites.timezone'), render: (s) => s.timezone },
              { label: t('sites.key'), render: (s) => html`<code>${s.publicKey}</code>` },
            ]}
            empty=${html`<${Empty} title=${t('sites.none')} text=${t('sites.noneHint')} />`} />`
        : html`<${Loading} />`
    }
    ${
      creating
        ? html`<${Modal} title=${t('sites.add')} onClose=${() => setCreating(false)}>
            <form class="stack" onSubmit=${create}>
              <${Field} label=${t('sites.name')}><input name="name" required maxlength="200" /></${Field}>
              <${Field} label=${t('sites.domains')} hint=${t('sites.domainsHint')}><textarea name="domains" rows="2" placeholder="example.com"></textarea></${Field}>
              <${Field} label=${t('sites.timezone')}><input name="timezone" value=${Intl.DateTimeFormat().resolvedOptions().timeZone} /></${Field}>
              <${ErrorBox} error=${err} />
              <div class="row"><button type="submit" class="btn btn-primary">${t('action.create')}</button></div>
            </form></${Modal}>`
        : null
    }
  </${Page}>`;
}

function SiteForm({ site, onSaved }) {
  const [err, setErr] = useState(null);
  const save = async (e) => {
    e.preventDefault();
    const f = new FormData(e.currentTarget);
    const body = {
      name: f.get('name'),
      domains: lines(String(f.get('domains'))),
      canonicalNumbers: lines(String(f.get('canonicalNumbers'))),
      timezone: f.get('timezone'),
      defaultForwardTo: f.get('defaultForwardTo') || null,
    };
    // Market, language and lead settings live in the site's settings; PATCH merges them.
    body.settings = {
      currency: String(f.get('currency')).toUpperCase(),
      country: String(f.get('country') || '').toUpperCase() || null,
      locale: f.get('locale'),
      leadWindowHours: Number(f.get('leadWindowHours')),
      targetCallMinTalkSeconds: Number(f.get('targetCallMinTalkSeconds')),
      // Empty: the gateway's default (DNI_MAX_NUMBERS_PER_ADDRESS).
      maxNumbersPerAddress: f.get('maxNumbersPerAddress') === '' ? null : Number(f.get('maxNumbersPerAddress')),
    };
    setErr(null);
    try {
      await api(`/v1/sites/${site.id}`, { method: 'PATCH', body });
      toast(t('common.saved'));
      onSaved();
    } catch (x) {
      setErr(x);
    }
  };
  const st = site.settings ?? {};
  return html`<form class="form-grid" onSubmit=${save}>
    <${Field} label=${t('sites.name')}><input name="name" required value=${site.name} /></${Field}>
    <${Field} label=${t('sites.timezone')}><input name="timezone" required value=${site.timezone} /></${Field}>
    <${Field} label=${t('sites.domains')} hint=${t('sites.domainsHint')} className="span-2"><textarea name="domains" rows="2">${site.domains.join('\n')}</textarea></${Field}>
    <${Field} label=${t('sites.canonical')} hint=${t('sites.canonicalHint')} className="span-2"><textarea name="canonicalNumbers" rows="2">${site.canonicalNumbers.join('\n')}</textarea></${Field}>
    <${Field} label=${t('sites.forward')}><input name="defaultForwardTo" value=${site.defaultForwardTo ?? ''} placeholder="+14155550199" /></${Field}>
    <${Field} label=${t('sites.currency')}><input name="currency" required value=${st.currency ?? 'USD'} pattern="[A-Za-z]{3}" maxlength="3" /></${Field}>
    <${Field} label=${t('sites.country')} hint=${t('sites.countryHint')}><input name="country" value=${st.country ?? ''} pattern="[A-Za-z]{2}" maxlength="2" placeholder="RU" /></${Field}>
    <${Field} label=${t('sites.language')} hint=${t('sites.languageHint')}><select name="locale">${['en', 'ru'].map((l) => html`<option value=${l} selected=${(st.locale ?? 'en') === l}>${t(`lang.${l}`)}</option>`)}</select></${Field}>
    <${Field} label=${t('sites.leadWindow')} hint=${t('sites.leadWindowHint')}><input name="leadWindowHours" type="number" min="0" max="8760" required value=${st.leadWindowHours ?? 24} /></${Field}>
    <${Field} label=${t('sites.targetCall')}><input name="targetCallMinTalkSeconds" type="number" min="0" max="3600" required value=${st.targetCallMinTalkSeconds ?? 30} /></${Field}>
    <${Field} label=${t('sites.maxPerAddress')} hint=${t('sites.maxPerAddressHint')}><input name="maxNumbersPerAddress" type="number" min="0" max="1000" value=${st.maxNumbersPerAddress ?? ''} placeholder=${t('sites.maxPerAddressDefault')} /></${Field}>
    <div class="span-2"><${ErrorBox} error=${err} /><button type="submit" class="btn btn-primary">${t('action.save')}</button></div>
  </form>`;
}

function RuleEditor({ rules, onChange }) {
  const set = (i, field, value) => onChange(rules.map((r, j) => (j === i ? { ...r, [field]: value } : r)));
  return html`<div class="rules">
    ${rules.map(
      (r, i) => html`<fieldset class="rule" key=${i}><legend>${t('channels.rule', { n: i + 1 })}</legend>
        ${RULE_FIELDS.map((f) => html`<${Field} label=${f}><input name=${`${f}-${i}`} value=${r[f] ?? ''} onInput=${(e) => set(i, f, e.currentTarget.value)} /></${Field}>`)}
        <button type="button" class="btn btn-small btn-ghost" onClick=${() => onChange(rules.filter((_x, j) => j !== i))}>${t('channels.removeRule')}</button>
      </fieldset>`,
    )}
    <button type="button" class="btn btn-small" onClick=${() => onChange([...rules, { utm_source: '' }])}>+ ${t('channels.addRule')}</button>
    <p class="muted small">${t('channels.rulesHint')}</p>
  </div>`;
}

function ChannelDialog({ siteId, channel, onClose, onDone }) {
  const [rules, setRules] = useState(channel?.rules ?? [{ utm_source: '' }]);
  const [err, setErr] = useState(null);
  const submit = async (e) => {
    e.preventDefault();
    const f = new FormData(e.currentTarget);
    const clean = rules.map((r) => Object.fromEntries(Object.entries(r).filter(([, v]) => String(v).trim()))).filter((r) => Object.keys(r).length);
    const body = { name: f.get('name'), kind: f.get('kind'), priority: Number(f.get('priority') || 0), rules: clean };
    try {
      if (channel) await api(`/v1/channels/${channel.id}`, { method: 'PATCH', body });
      else await api('/v1/channels', { method: 'POST', body: { ...body, siteId } });
      toast(t('common.saved'));
      onDone();
    } catch (x) {
      setErr(x);
    }
  };
  return html`<${Modal} title=${channel ? t('channels.edit', { name: channel.name }) : t('channels.add')} onClose=${onClose} wide>
    <form class="stack" onSubmit=${submit}>
      <div class="row wrap">
        <${Field} label=${t('channels.name')} className="grow"><input name="name" required value=${channel?.name ?? ''} /></${Field}>
        <${Field} label=${t('channels.kind')}><select name="kind">${KINDS.map((k) => html`<option value=${k} selected=${channel?.kind === k}>${tEnum('kind', k)}</option>`)}</select></${Field}>
        <${Field} label=${t('channels.priority')} hint=${t('channels.priorityHint')}><input name="priority" type="number" min="-1000" max="1000" value=${channel?.priority ?? 0} /></${Field}>
      </div>
      <${RuleEditor} rules=${rules} onChange=${setRules} />
      <${ErrorBox} error=${err} />
      <div class="row"><button type="submit" class="btn btn-primary">${t('action.save')}</button><button type="button" class="btn btn-ghost" onClick=${onClose}>${t('action.cancel')}</button></div>
    </form>
  </${Modal}>`;
}

function InstallCheck({ site }) {
  const [url, setUrl] = useState(site.domains.find((d) => !d.includes('*')) ? `https://${site.domains.find((d) => !d.includes('*'))}/` : '');
  const [res, setRes] = useState(null);
  const [err, setErr] = useState(null);
  const run = async (e) => {
    e.preventDefault();
    setErr(null);
    setRes(null);
    try {
      setRes(await api(`/v1/sites/${site.id}/install-check`, { method: 'POST', body: { url } }));
    } catch (x) {
      setErr(x);
    }
  };
  return html`<form class="inline-form" onSubmit=${run}>
      <label class="field grow"><span class="field-label">${t('install.url')}</span><input name="url" type="url" required placeholder="https://example.com/" value=${url} onInput=${(e) => setUrl(e.currentTarget.value)} /></label>
      <button type="submit" class="btn">${t('install.check')}</button>
    </form>
    <${ErrorBox} error=${err} />
    ${
      res
        ? html`<ul class="checks">
            <li class=${res.reachable ? 'text-ok' : 'text-bad'}>${res.reachable ? '✓' : '✗'} ${res.reachable ? t('install.reachable', { status: res.httpStatus }) : t('install.unreachable', { reason: res.error ?? '' })}</li>
            ${res.reachable ? html`<li class=${res.tagFound ? 'text-ok' : 'text-bad'}>${res.tagFound ? '✓' : '✗'} ${res.tagFound ? t('install.tagFound') : t('install.tagMissing')}</li>` : null}
            ${res.tagFound ? html`<li class=${res.keyMatches ? 'text-ok' : 'text-bad'}>${res.keyMatches ? '✓' : '✗'} ${res.keyMatches ? t('install.keyOk') : t('install.keyWrong', { key: res.foundKey ?? '—' })}</li>` : null}
            ${res.reachable ? html`<li class=${res.widgetAnswers ? 'text-ok' : 'text-bad'}>${res.widgetAnswers ? '✓' : '✗'} ${res.widgetAnswers ? t('install.answers') : t('install.noAnswer')}</li>` : null}
          </ul>`
        : null
    }`;
}

export function SiteScreen({ params }) {
  const s = useAsync(() => api(`/v1/sites/${params.id}`), [params.id]);
  const channels = useAsync(() => api('/v1/channels', { query: { siteId: params.id } }), [params.id]);
  const [dialog, setDialog] = useState(null);
  if (s.error) return html`<${Page} title=${t('sites.title')}><${ErrorBox} error=${s.error} retry=${s.reload} /></${Page}>`;
  if (!s.data) return html`<${Loading} />`;
  const site = s.data;
  const snippet = `<script async src="${location.origin}/dni.js" data-site="${site.publicKey}"></script>`;
  return html`<${Page} title=${site.name} subtitle=${html`<a href="#/sites">← ${t('sites.title')}</a>`}>
    <div class="grid-2">
      <${Card} title=${t('sites.settings')}><${SiteForm} site=${site} onSaved=${() => {
        s.reload();
        reloadSites();
      }} /></${Card}>
      <div class="stack">
        <${Card} title=${t('install.snippet')} actions=${html`<${CopyButton} text=${snippet} />`}>
          <p class="muted small">${t('install.snippetHint')}</p>
          <pre class="snippet"><code>${snippet}</code></pre>
        </${Card}>
        <${Card} title=${t('install.title')}><${InstallCheck} site=${site} /></${Card}>
      </div>
    </div>
    <${Card} title=${t('channels.title')} actions=${html`<button type="button" class="btn btn-primary btn-small" onClick=${() => setDialog({})}>${t('channels.add')}</button>`}>
      <${ErrorBox} error=${channels.error} />
      ${
        channels.data
          ? html`<${DataTable} caption=${t('channels.title')} rows=${[...channels.data.items].sort((a, b) => b.priority - a.priority)}
              columns=${[
                { label: t('channels.name'), render: (c) => html`<strong>${c.name}</strong>` },
                { label: t('channels.kind'), render: (c) => html`<${Badge}>${tEnum('kind', c.kind)}</${Badge}>` },
                { label: t('channels.priority'), className: 'num', render: (c) => c.priority },
                {
                  label: t('channels.rules'),
                  render: (c) =>
                    c.rules.length
                      ? c.rules.map(
                          (r) =>
                            html`<code class="rule-chip">${Object.entries(r)
                              .map(([k, v]) => `${k}=${v}`)
                              .join(' & ')}</code>`,
                        )
                      : '—',
                },
                {
                  label: t('card.col.action'),
                  render: (
                    c,
                  ) => html`<div class="row nowrap-row"><button type="button" class="btn btn-small" onClick=${() => setDialog({ channel: c })}>${t('action.edit')}</button>
                    <${ActionButton} className="btn btn-small btn-danger" confirm=${t('channels.deleteConfirm', { name: c.name })} onClick=${async () => {
                      await api(`/v1/channels/${c.id}`, { method: 'DELETE' });
                      channels.reload();
                    }}>${t('action.delete')}</${ActionButton}></div>`,
                },
              ]}
              empty=${html`<${Empty} title=${t('channels.none')} text=${t('channels.noneHint')} />`} />`
          : html`<${Loading} />`
      }
    </${Card}>
    ${
      dialog
        ? html`<${ChannelDialog} siteId=${site.id} channel=${dialog.channel} onClose=${() => setDialog(null)} onDone=${() => {
            setDialog(null);
            channels.reload();
          }} />`
        : null
    }
  </${Page}>`;
}
