import { useState } from 'preact/hooks';
import { api } from '../api.js';
import { html } from '../html.js';
import { t } from '../i18n.js';
import { errorText } from '../ui.js';

export function SignIn({ onSignedIn }) {
  const [error, setError] = useState('');
  const [busy, setBusy] = useState(false);
  const submit = async (e) => {
    e.preventDefault();
    const form = new FormData(e.currentTarget);
    setBusy(true);
    setError('');
    try {
      await api('/v1/auth/login', { method: 'POST', body: { email: form.get('email'), password: form.get('password') } });
      onSignedIn();
    } catch (err) {
      setError(err.status === 401 ? t('signin.wrong') : errorText(err));
    } finally {
      setBusy(false);
    }
  };
  return html`<main class="signin">
    <form class="signin-card" id="signin" onSubmit=${submit} aria-labelledby="signin-title">
      <div class="brand brand-large"><span class="brand-mark" aria-hidden="true"></span>${t('app.name')}</div>
      <h1 id="signin-title">${t('signin.title')}</h1>
      <label class="field"><span class="field-label">${t('signin.email')}</span>
        <input name="email" type="email" autocomplete="username" required autofocus /></label>
      <label class="field"><span class="field-label">${t('signin.password')}</span>
        <input name="password" type="password" autocomplete="current-password" required /></label>
      ${error ? html`<p class="alert alert-error" role="alert">${error}</p>` : null}
      <button type="submit" class="btn btn-primary btn-block" disabled=${busy}>${t('signin.submit')}</button>
      <p class="muted small">${t('signin.lost')} <code>npm run -s owner:reset</code></p>
    </form>
  </main>`;
}
