import { useState } from 'preact/hooks';
import { api } from '../api.js';
import { html } from '../html.js';
import { LOCALES, locale, t } from '../i18n.js';
import { setLanguage } from '../shell.js';
import { me } from '../state.js';
import { Card, ErrorBox, Field, Page, toast } from '../ui.js';

export function AccountScreen() {
  const [err, setErr] = useState(null);
  const [busy, setBusy] = useState(false);
  const change = async (e) => {
    e.preventDefault();
    const form = e.currentTarget;
    const f = new FormData(form);
    setErr(null);
    if (f.get('newPassword') !== f.get('confirm')) {
      setErr({ message: t('account.mismatch'), details: [] });
      return;
    }
    setBusy(true);
    try {
      await api('/v1/me/password', { method: 'POST', body: { currentPassword: f.get('currentPassword'), newPassword: f.get('newPassword') } });
      form.reset();
      toast(t('account.changed'));
    } catch (x) {
      setErr(x);
    } finally {
      setBusy(false);
    }
  };
  const u = me.value;
  return html`<${Page} title=${t('account.title')} subtitle=${`${u.email ?? ''} · ${t(`role.${u.role}`)}`}>
    <div class="grid-2">
      <${Card} title=${t('account.password')}>
        <form class="stack narrow" onSubmit=${change}>
          <input type="email" name="username" autocomplete="username" value=${u.email ?? ''} hidden />
          <${Field} label=${t('account.current')}><input name="currentPassword" type="password" autocomplete="current-password" required /></${Field}>
          <${Field} label=${t('account.new')} hint=${t('account.newHint')}><input name="newPassword" type="password" autocomplete="new-password" minlength="12" required /></${Field}>
          <${Field} label=${t('account.confirm')}><input name="confirm" type="password" autocomplete="new-password" minlength="12" required /></${Field}>
          <${ErrorBox} error=${err} />
          <div><button type="submit" class="btn btn-primary" disabled=${busy}>${t('account.change')}</button></div>
        </form>
      </${Card}>
      <${Card} title=${t('menu.language')}>
        <div class="segmented" role="group" aria-label=${t('menu.language')}>
          ${LOCALES.map((l) => html`<button type="button" lang=${l} aria-pressed=${locale.value === l} class=${locale.value === l ? 'on' : ''} onClick=${() => setLanguage(l)}>${t(`lang.${l}`)}</button>`)}
        </div>
        <p class="muted small">${t('account.languageHint')}</p>
      </${Card}>
    </div>
  </${Page}>`;
}
