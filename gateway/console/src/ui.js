// Shared building blocks: tables that become cards on phones, fields with labels, error and empty states, dialogs.
import { signal } from '@preact/signals';
import { useCallback, useEffect, useRef, useState } from 'preact/hooks';
import { ApiError } from './api.js';
import { html } from './html.js';
import { t } from './i18n.js';

/** Load data for a screen; reloads when deps change; errors are kept to be shown, never swallowed. */
export function useAsync(fn, deps) {
  const [state, setState] = useState({ data: undefined, error: null, loading: true });
  const seq = useRef(0);
  const load = useCallback(() => {
    const n = ++seq.current;
    setState((s) => ({ ...s, loading: true, error: null }));
    Promise.resolve()
      .then(fn)
      .then(
        (data) => n === seq.current && setState({ data, error: null, loading: false }),
        (error) => n === seq.current && setState((s) => ({ data: s.data, error, loading: false })),
      );
  }, deps);
  useEffect(load, [load]);
  return { ...state, reload: load };
}

export function errorText(err) {
  if (!err) return '';
  if (err.status === 0) return t('error.network');
  if (err.status === 403) return t('error.forbidden');
  if (err.status === 404 && !err.body?.name) return t('error.notFound');
  const details = (err.details || [])
    .filter((d) => d.message && d.message !== err.message)
    .map((d) => (d.path ? `${d.path}: ${d.message}` : d.message));
  return [err.message || t('error.generic'), ...details].join(' · ');
}

export function ErrorBox({ error, retry }) {
  if (!error) return null;
  return html`<div class="alert alert-error" role="alert">
    <strong>${t('error.title')}</strong> <span>${errorText(error)}</span>
    ${retry ? html` <button type="button" class="btn btn-small" onClick=${retry}>${t('action.retry')}</button>` : null}
  </div>`;
}

export function Empty({ title, text, children }) {
  return html`<div class="empty"><p class="empty-title">${title}</p>${text ? html`<p>${text}</p>` : null}${children}</div>`;
}

export const Loading = () =>
  html`<div class="loading" role="status" aria-live="polite"><span class="spinner" aria-hidden="true"></span>${t('common.loading')}</div>`;

export function Page({ title, subtitle, actions, children }) {
  return html`<section class="page">
    <header class="page-head">
      <div><h1>${title}</h1>${subtitle ? html`<p class="muted">${subtitle}</p>` : null}</div>
      ${actions ? html`<div class="page-actions">${actions}</div>` : null}
    </header>
    ${children}
  </section>`;
}

export function Card({ title, actions, children, className = '' }) {
  return html`<section class=${`card ${className}`}>
    ${title || actions ? html`<header class="card-head">${title ? html`<h2>${title}</h2>` : null}${actions ? html`<div class="card-actions">${actions}</div>` : null}</header>` : null}
    ${children}
  </section>`;
}

/**
 * A table on wide screens; under 720 px each row becomes a card whose cells carry their column name
 * (data-label, drawn by CSS), so nothing scrolls sideways.
 */
export function DataTable({ columns, rows, rowKey = (r) => r.id, onRow, empty, caption, footer, className = '' }) {
  if (!rows?.length && empty) return empty;
  return html`<div class=${`table-wrap ${className}`}>
    <table class="table">
      ${caption ? html`<caption class="sr-only">${caption}</caption>` : null}
      <thead><tr>${columns.map((c) => html`<th scope="col" class=${c.className || ''}>${c.label}</th>`)}</tr></thead>
      <tbody>
        ${rows.map(
          (
            r,
          ) => html`<tr key=${rowKey(r)} class=${onRow ? 'clickable' : ''} onClick=${onRow ? (e) => !e.target.closest('a,button,audio,input,select,label') && onRow(r) : undefined}>
            ${columns.map((c) => html`<td data-label=${c.label} class=${c.className || ''}>${c.render ? c.render(r) : (r[c.key] ?? '—')}</td>`)}
          </tr>`,
        )}
      </tbody>
      ${footer ? html`<tfoot>${footer}</tfoot>` : null}
    </table>
  </div>`;
}

export function Field({ label, hint, error, children, className = '' }) {
  return html`<label class=${`field ${className} ${error ? 'has-error' : ''}`}>
    <span class="field-label">${label}</span>
    ${children}
    ${hint ? html`<span class="field-hint">${hint}</span>` : null}
    ${error ? html`<span class="field-error">${error}</span>` : null}
  </label>`;
}

export function Select({ value, onChange, options, name, ...rest }) {
  return html`<select name=${name} value=${value ?? ''} onChange=${(e) => onChange(e.currentTarget.value)} ...${rest}>
    ${options.map((o) => html`<option value=${o.value} selected=${String(o.value) === String(value ?? '')}>${o.label}</option>`)}
  </select>`;
}

export function Badge({ tone = 'neutral', title, children }) {
  return html`<span class=${`badge badge-${tone}`} title=${title}>${children}</span>`;
}

/** A modal dialog on the native <dialog>: focus is trapped and Escape closes it. */
export function Modal({ title, onClose, children, wide = false }) {
  const ref = useRef(null);
  useEffect(() => {
    const d = ref.current;
    if (d && !d.open) d.showModal();
    return () => d?.open && d.close();
  }, []);
  return html`<dialog ref=${ref} class=${`modal ${wide ? 'modal-wide' : ''}`} aria-label=${title} onClose=${onClose} onCancel=${onClose}>
    <header class="modal-head"><h2>${title}</h2><button type="button" class="btn btn-ghost icon" aria-label=${t('action.close')} onClick=${onClose}>×</button></header>
    <div class="modal-body">${children}</div>
  </dialog>`;
}

export const toasts = signal([]);
export function toast(text, tone = 'ok') {
  const id = Math.random().toString(36).slice(2);
  toasts.value = [...toasts.value, { id, text, tone }];
  setTimeout(() => {
    toasts.value = toasts.value.filter((x) => x.id !== id);
  }, 5000);
}
export const Toasts = () =>
  html`<div class="toasts" role="status" aria-live="polite">${toasts.value.map((x) => html`<div key=${x.id} class=${`toast toast-${x.tone}`}>${x.text}</div>`)}</div>`;

/** A button that runs an async action, shows it is busy, and reports failure as a toast in words. */
export function ActionButton({ onClick, children, className = 'btn', confirm, ...rest }) {
  const [busy, setBusy] = useState(false);
  const run = async () => {
    if (confirm && !window.confirm(confirm)) return;
    setBusy(true);
    try {
      await onClick();
    } catch (err) {
      toast(errorText(err), 'error');
    } finally {
      setBusy(false);
    }
  };
  return html`<button type="button" class=${className} disabled=${busy} aria-busy=${busy} onClick=${run} ...${rest}>${children}</button>`;
}

export function CopyButton({ text, label }) {
  const [done, setDone] = useState(false);
  const copy = async () => {
    try {
      await navigator.clipboard.writeText(text);
    } catch {
      const ta = document.createElement('textarea');
      ta.value = text;
      document.body.append(ta);
      ta.select();
      document.execCommand('copy');
      ta.remove();
    }
    setDone(true);
    setTimeout(() => setDone(false), 2000);
  };
  return html`<button type="button" class="btn btn-small" onClick=${copy}>${done ? t('action.copied') : (label ?? t('action.copy'))}</button>`;
}

/** Download a response body (CSV exports) under its server-given name. */
export async function download(url, fallbackName) {
  const res = await fetch(url, { credentials: 'same-origin' });
  if (!res.ok) {
    let body = null;
    try {
      body = await res.json();
    } catch {}
    throw new ApiError(res.status, body);
  }
  const blob = await res.blob();
  const cd = res.headers.get('content-disposition') || '';
  const name = /filename="?([^";]+)"?/.exec(cd)?.[1] || fallbackName;
  const a = document.createElement('a');
  a.href = URL.createObjectURL(blob);
  a.download = name;
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(a.href), 10_000);
}
