import { render } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import './styles.css';
import { onUnauthorized } from './api.js';
import { html } from './html.js';
import { locale, t } from './i18n.js';
import { match, navigate, route } from './router.js';
import { can, homeFor, loadSession, me } from './state.js';
import { ErrorBox, Loading, Toasts } from './ui.js';
import { Shell } from './shell.js';
import { SignIn } from './screens/signin.js';
import { AccountScreen } from './screens/account.js';
import { AuditScreen } from './screens/audit.js';
import { CallCard } from './screens/call-card.js';
import { CallsScreen } from './screens/calls.js';
import { InquiriesScreen } from './screens/inquiries.js';
import { InquiryCard } from './screens/inquiry-card.js';
import { IntegrationsScreen } from './screens/integrations.js';
import { LiveScreen } from './screens/live.js';
import { NumbersScreen } from './screens/numbers.js';
import { ReportsScreen } from './screens/reports.js';
import { SiteScreen, SitesScreen } from './screens/sites.js';
import { TeamScreen } from './screens/team.js';

const ROUTES = [
  ['/live', 'live', LiveScreen],
  ['/calls', 'calls', CallsScreen],
  ['/calls/:id', 'calls', CallCard],
  ['/inquiries', 'inquiries', InquiriesScreen],
  ['/inquiries/:id', 'inquiries', InquiryCard],
  ['/reports', 'reports', ReportsScreen],
  ['/numbers', 'numbers', NumbersScreen],
  ['/sites', 'sites', SitesScreen],
  ['/sites/:id', 'sites', SiteScreen],
  ['/integrations', 'integrations', IntegrationsScreen],
  ['/team', 'team', TeamScreen],
  ['/audit', 'audit', AuditScreen],
  ['/account', 'account', AccountScreen],
];

function Screen() {
  const { path, query } = route.value;
  for (const [pattern, screen, Component] of ROUTES) {
    const params = match(pattern, path);
    if (!params) continue;
    if (!can(screen)) return html`<${Forbidden} />`;
    return html`<${Component} key=${path} params=${params} query=${query} />`;
  }
  return html`<${Redirect} to=${homeFor(me.value.role)} />`;
}

function Redirect({ to }) {
  useEffect(() => navigate(to, undefined, { replace: true }), [to]);
  return null;
}

function Forbidden() {
  return html`<section class="page"><h1>${t('error.forbiddenTitle')}</h1><p>${t('error.forbiddenScreen')}</p>
    <p><a class="btn" href=${`#${homeFor(me.value.role)}`}>${t('action.goHome')}</a></p></section>`;
}

function App() {
  const [error, setError] = useState(null);
  useEffect(() => {
    onUnauthorized(() => {
      me.value = null;
    });
    loadSession().catch(setError);
  }, []);
  // Re-render on language change (signals read in t() are tracked per component).
  void locale.value;
  if (error) return html`<main class="center"><${ErrorBox} error=${error} retry=${() => location.reload()} /></main>`;
  if (me.value === undefined) return html`<main class="center"><${Loading} /></main>`;
  if (me.value === null) return html`<${SignIn} onSignedIn=${() => loadSession().catch(setError)} /><${Toasts} />`;
  return html`<${Shell}><${Screen} /></${Shell}><${Toasts} />`;
}

// Preact 11 keeps a container's existing children: drop the boot placeholder first.
const root = document.getElementById('app');
root.textContent = '';
render(html`<${App} />`, root);
