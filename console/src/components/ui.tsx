// Small building blocks every page shares, so spacing and states look the same everywhere.
import type { ComponentChildren } from 'preact';
import { href, onLinkClick } from '../router.js';

export function PageHeader(props: {
  title: string;
  description?: string;
  /** Shown beside the title (status badges). */
  badges?: ComponentChildren;
  actions?: ComponentChildren;
}) {
  return (
    <header class="page-header">
      <div>
        <div class="title-row">
          <h1>{props.title}</h1>
          {props.badges}
        </div>
        {props.description && <p class="muted">{props.description}</p>}
      </div>
      {props.actions && <div class="page-actions">{props.actions}</div>}
    </header>
  );
}

export function Panel(props: {
  title?: string;
  actions?: ComponentChildren;
  children: ComponentChildren;
  class?: string;
  labelledBy?: string;
}) {
  const id = props.title ? `panel-${props.title.toLowerCase().replace(/[^a-z0-9]+/g, '-')}` : undefined;
  return (
    <section class={`panel ${props.class ?? ''}`} aria-labelledby={id}>
      {(props.title || props.actions) && (
        <div class="panel-head">
          {props.title && <h2 id={id}>{props.title}</h2>}
          {props.actions && <div class="panel-actions">{props.actions}</div>}
        </div>
      )}
      {props.children}
    </section>
  );
}

export function Stat(props: { label: string; value: string; detail?: string; tone?: 'bad' | 'good' }) {
  return (
    <div class={`stat ${props.tone ? `stat-${props.tone}` : ''}`}>
      <dt>{props.label}</dt>
      <dd>
        <span class="stat-value">{props.value}</span>
        {props.detail && <span class="stat-detail">{props.detail}</span>}
      </dd>
    </div>
  );
}

export function Loading(props: { label?: string }) {
  return (
    <div class="state state-loading" role="status" aria-live="polite">
      <span class="spinner" aria-hidden="true" />
      <span>{props.label ?? 'Loading…'}</span>
    </div>
  );
}

export function Empty(props: { title: string; children?: ComponentChildren }) {
  return (
    <div class="state state-empty">
      <svg aria-hidden="true" viewBox="0 0 24 24" width="28" height="28">
        <path
          d="M4 7h16M4 12h16M4 17h10"
          fill="none"
          stroke="currentColor"
          stroke-width="1.6"
          stroke-linecap="round"
        />
      </svg>
      <p class="state-title">{props.title}</p>
      {props.children && <div class="muted">{props.children}</div>}
    </div>
  );
}

export function ErrorBox(props: { error: Error; onRetry?: () => void; title?: string }) {
  return (
    <div class="state state-error" role="alert">
      <p class="state-title">{props.title ?? 'Something went wrong'}</p>
      <p>{props.error.message}</p>
      {props.onRetry && (
        <button type="button" class="btn" onClick={props.onRetry}>
          Try again
        </button>
      )}
    </div>
  );
}

/** Inline form error, announced to screen readers. */
export function FormError(props: { error: Error | string | undefined }) {
  if (!props.error) return null;
  return (
    <p class="form-error" role="alert">
      {typeof props.error === 'string' ? props.error : props.error.message}
    </p>
  );
}

export function Badge(props: {
  tone: 'ok' | 'bad' | 'warn' | 'neutral' | 'info';
  children: ComponentChildren;
}) {
  return <span class={`badge badge-${props.tone}`}>{props.children}</span>;
}

export function StatusBadge(props: { status: string }) {
  const tone = props.status === 'ok' ? 'ok' : props.status === 'error' ? 'bad' : 'warn';
  return <Badge tone={tone}>{props.status}</Badge>;
}

export function Link(props: { to: string; children: ComponentChildren; class?: string; label?: string }) {
  return (
    <a href={href(props.to)} class={props.class} aria-label={props.label} onClick={onLinkClick(props.to)}>
      {props.children}
    </a>
  );
}

/** A label above its control, with an optional hint tied to it by aria-describedby. */
export function Field(props: { id: string; label: string; hint?: string; children: ComponentChildren }) {
  return (
    <div class="field">
      <label for={props.id}>{props.label}</label>
      {props.children}
      {props.hint && (
        <p class="hint" id={`${props.id}-hint`}>
          {props.hint}
        </p>
      )}
    </div>
  );
}
