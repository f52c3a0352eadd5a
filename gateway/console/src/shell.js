import { useEffect, useRef, useState } from 'preact/hooks';
import { api } from './api.js';
import { html } from './html.js';
import { LOCALES, locale, t } from './i18n.js';
import { route } from './router.js';
import { can, me, selectSite, signOut, site, sites } from './state.js';
import { Select, errorText, toast } from './ui.js';

const NAV = [
  ['live', '/live', 'nav.live'],
  // Calls are one kind of inquiry: the calls screen is the inquiries screen's "Calls" kind.
  ['inquiries', '/inquiries', 'nav.inquiries', ['/calls']],
  ['reports', '/reports', 'nav.reports'],
  ['numbers', '/numbers', 'nav.numbers'],
  ['sites', '/sites', 'nav.sites'],
  ['integrations', '/integrations', 'nav.integrations'],
  ['team', '/team', 'nav.team'],
  ['audit', '/audit', 'nav.audit'],
];

export async function setLanguage(next) {
  locale.value = next;
  document.documentElement.lang = next;
  try {
    me.value = await api('/v1/me/settings', { method: 'PUT', body: { locale: next } });
  } catch (err) {
    toast(errorText(err), 'error');
  }
}

function UserMenu() {
  const [open, setOpen] = useState(false);
  const ref = useRef(null);
  useEffect(() => {
    const close = (e) => !ref.current?.contains(e.target) && setOpen(false);
    document.addEventListener('click', close);
    return () => document.removeEventListener('click', close);
  }, []);
  const u = me.value;
  return html`<div class="user-menu" ref=${ref}>
    <button type="button" class="btn btn-ghost user-button" aria-haspopup="true" aria-expanded=${open} onClick=${() => setOpen(!open)}>
      <span class="avatar" aria-hidden="true">${(u.name || u.email || '?').slice(0, 1).toUpperCase()}</span>
      <span class="user-name">${u.name || u.email}</span>
    </button>
    ${
      open
        ? html`<div class="menu" role="menu">
            <div class="menu-head"><strong>${u.email}</strong><span class="muted">${t(`role.${u.role}`)}</span></div>
            <div class="menu-section" role="group" aria-label=${t('menu.language')}>
              <span class="menu-label">${t('menu.language')}</span>
              <div class="segmented">
                ${LOCALES.map(
                  (
                    l,
                  ) => html`<button type="button" role="menuitemradio" aria-checked=${locale.value === l} class=${locale.value === l ? 'on' : ''} lang=${l}
                    onClick=${() => setLanguage(l)}>${t(`lang.${l}`)}</button>`,
                )}
              </div>
            </div>
            <a role="menuitem" class="menu-item" href="#/account" onClick=${() => setOpen(false)}>${t('menu.account')}</a>
            <button type="button" role="menuitem" class="menu-item" onClick=${signOut}>${t('menu.signOut')}</button>
          </div>`
        : null
    }
  </div>`;
}

export function Shell({ children }) {
  const [navOpen, setNavOpen] = useState(false);
  const path = route.value.path;
  useEffect(() => setNavOpen(false), [path]);
  const items = NAV.filter(([screen]) => can(screen));
  const siteOptions = sites.value.map((s) => ({ value: s.id, label: s.name }));
  return html`<div class=${`shell ${navOpen ? 'nav-open' : ''}`}>
    <a class="skip" href="#main">${t('nav.skip')}</a>
    <header class="topbar">
      <button type="button" class="btn btn-ghost icon nav-toggle" aria-controls="nav" aria-expanded=${navOpen} aria-label=${t('nav.menu')}
        onClick=${() => setNavOpen(!navOpen)}>☰</button>
      <a class="brand" href="#/"><span class="brand-mark" aria-hidden="true"></span><span class="brand-text">${t('app.name')}</span></a>
      ${
        siteOptions.length > 1
          ? html`<label class="site-picker"><span class="sr-only">${t('common.site')}</span>
              <${Select} name="site" value=${site.value?.id} options=${siteOptions} onChange=${selectSite} /></label>`
          : site.value
            ? html`<span class="site-name">${site.value.name}</span>`
            : null
      }
      <span class="spacer"></span>
      <${UserMenu} />
    </header>
    <nav id="nav" class="sidenav" aria-label=${t('nav.label')}>
      <ul>
        ${items.map(
          ([screen, to, label, also = []]) =>
            html`<li><a href=${`#${to}`} class=${`nav-${screen}`} aria-current=${[to, ...also].some((p) => path === p || path.startsWith(`${p}/`)) ? 'page' : undefined}>${t(label)}</a></li>`,
        )}
      </ul>
    </nav>
    <main id="main" class="content" tabindex="-1">${children}</main>
  </div>`;
}
