import { useState } from 'preact/hooks';
import { api } from '../api.js';
import { html } from '../html.js';
import { fmtDateTime, t } from '../i18n.js';
import { me } from '../state.js';
import { ActionButton, Badge, Card, DataTable, ErrorBox, Field, Loading, Page, toast, useAsync } from '../ui.js';

const ROLES = ['owner', 'admin', 'manager', 'analyst'];

export function TeamScreen() {
  const users = useAsync(() => api('/v1/users'), []);
  const [err, setErr] = useState(null);
  const [invited, setInvited] = useState(null);
  const roles = me.value.role === 'owner' ? ROLES : ROLES.filter((r) => r !== 'owner');
  const invite = async (e) => {
    e.preventDefault();
    const form = e.currentTarget;
    const f = new FormData(form);
    setErr(null);
    const password = Array.from(crypto.getRandomValues(new Uint8Array(12)), (b) => 'abcdefghjkmnpqrstuvwxyz23456789'[b % 31]).join('');
    try {
      const u = await api('/v1/users', {
        method: 'POST',
        body: { email: f.get('email'), name: f.get('name') || undefined, role: f.get('role'), password },
      });
      setInvited({ email: u.email, password });
      form.reset();
      users.reload();
    } catch (x) {
      setErr(x);
    }
  };
  const update = async (u, body) => {
    await api(`/v1/users/${u.id}`, { method: 'PATCH', body });
    toast(t('common.saved'));
    users.reload();
  };
  return html`<${Page} title=${t('team.title')} subtitle=${t('team.subtitle')}>
    <${Card} title=${t('team.invite')}>
      <form class="inline-form wrap" onSubmit=${invite}>
        <${Field} label=${t('team.email')} className="grow"><input name="email" type="email" required /></${Field}>
        <${Field} label=${t('team.name')}><input name="name" maxlength="200" /></${Field}>
        <${Field} label=${t('team.role')}><select name="role">${roles.map((r) => html`<option value=${r} selected=${r === 'manager'}>${t(`role.${r}`)}</option>`)}</select></${Field}>
        <button type="submit" class="btn btn-primary">${t('team.inviteButton')}</button>
      </form>
      <p class="muted small">${t('team.rolesHint')}</p>
      <${ErrorBox} error=${err} />
      ${invited ? html`<div class="alert alert-ok" role="status">${t('team.invited', { email: invited.email })} <code>${invited.password}</code></div>` : null}
    </${Card}>
    <${Card} title=${t('team.people')}>
      <${ErrorBox} error=${users.error} retry=${users.reload} />
      ${
        users.data
          ? html`<${DataTable} caption=${t('team.people')} rows=${users.data.items}
              columns=${[
                {
                  label: t('team.email'),
                  render: (u) => html`<strong>${u.email}</strong>${u.name ? html`<br /><span class="muted small">${u.name}</span>` : null}`,
                },
                {
                  label: t('team.role'),
                  render: (u) =>
                    u.id === me.value.userId || (u.role === 'owner' && me.value.role !== 'owner')
                      ? t(`role.${u.role}`)
                      : html`<label class="sr-only" for=${`role-${u.id}`}>${t('team.role')}</label><select id=${`role-${u.id}`} class="compact" onChange=${(e) => update(u, { role: e.currentTarget.value }).catch((x) => toast(x.message, 'error'))}>
                          ${roles.map((r) => html`<option value=${r} selected=${u.role === r}>${t(`role.${r}`)}</option>`)}</select>`,
                },
                { label: t('team.since'), render: (u) => fmtDateTime(u.createdAt) },
                {
                  label: t('card.col.status'),
                  render: (u) =>
                    u.disabledAt
                      ? html`<${Badge} tone="neutral">${t('team.disabled')}</${Badge}>`
                      : html`<${Badge} tone="ok">${t('team.active')}</${Badge}>`,
                },
                {
                  label: t('card.col.action'),
                  render: (u) =>
                    u.id === me.value.userId
                      ? html`<span class="muted small">${t('team.you')}</span>`
                      : html`<${ActionButton} className=${u.disabledAt ? 'btn btn-small' : 'btn btn-small btn-danger'} onClick=${() => update(u, { disabled: !u.disabledAt })}>
                          ${u.disabledAt ? t('action.enable') : t('action.disable')}</${ActionButton}>`,
                },
              ]} />`
          : html`<${Loading} />`
      }
    </${Card}>
  </${Page}>`;
}
