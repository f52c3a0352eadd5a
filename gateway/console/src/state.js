// Session-wide state: who is signed in, the sites they can see and the one selected (kept across reloads).
import { computed, signal } from '@preact/signals';
import { api } from './api.js';
import { browserLocale, formatSite, locale } from './i18n.js';

export const me = signal(undefined); // undefined: not known yet; null: signed out
export const sites = signal([]);
export const siteId = signal(localStorage.getItem('console.site') || '');
export const site = computed(() => sites.value.find((s) => s.id === siteId.value) || sites.value[0] || null);

export function selectSite(id) {
  siteId.value = id;
  localStorage.setItem('console.site', id);
  formatSite.value = site.value;
}

/** Which screens a role sees: analysts reports only; managers calls, live and recordings; admins and owners all. */
export const SCREENS = {
  live: ['owner', 'admin', 'manager'],
  calls: ['owner', 'admin', 'manager'],
  inquiries: ['owner', 'admin', 'manager'],
  reports: ['owner', 'admin', 'analyst'],
  numbers: ['owner', 'admin'],
  sites: ['owner', 'admin'],
  integrations: ['owner', 'admin'],
  team: ['owner', 'admin'],
  audit: ['owner', 'admin'],
  account: ['owner', 'admin', 'manager', 'analyst'],
};
export const can = (screen) => !!me.value && (SCREENS[screen] || []).includes(me.value.role);
export const isAdmin = () => me.value?.role === 'owner' || me.value?.role === 'admin';
export const homeFor = (role) => (role === 'analyst' ? '/reports' : '/inquiries');

export async function loadSession() {
  try {
    const session = await api('/v1/me/session');
    if (!session.signedIn) {
      me.value = null;
      return;
    }
    const profile = session.profile;
    locale.value = profile.locale || browserLocale();
    document.documentElement.lang = locale.value;
    const list = await api('/v1/sites');
    sites.value = list.items;
    if (!list.items.some((s) => s.id === siteId.value) && list.items[0]) siteId.value = list.items[0].id;
    formatSite.value = site.value;
    me.value = profile;
  } catch (err) {
    if (err.status === 401) me.value = null;
    else throw err;
  }
}

export async function reloadSites() {
  const list = await api('/v1/sites');
  sites.value = list.items;
  formatSite.value = site.value;
}

export async function signOut() {
  await api('/v1/auth/logout', { method: 'POST' }).catch(() => undefined);
  me.value = null;
  history.replaceState(null, '', '#/');
}
