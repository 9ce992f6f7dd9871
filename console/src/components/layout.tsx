// The signed-in frame: a sidebar (a top bar on narrow screens) with the pages, who is signed in and sign-out.
import type { ComponentChildren } from 'preact';
import { useEffect, useRef } from 'preact/hooks';
import { href, onLinkClick } from '../router.js';
import { useSession } from '../session.js';

const ICONS: Record<string, string> = {
  overview: 'M4 13h4v7H4zM10 8h4v12h-4zM16 4h4v16h-4z',
  keys: 'M14 10a4 4 0 1 0-3.9 4H11v2h2v2h2v2h4v-3.2l-5.2-5.2A4 4 0 0 0 14 10z',
  accounts: 'M4 7h16v11H4zM4 10h16M8 15h3',
  requests: 'M5 6h14M5 10h14M5 14h9M5 18h6',
  models: 'M12 3l8 4.5v9L12 21l-8-4.5v-9zM12 12l8-4.5M12 12v9M12 12L4 7.5',
  playground: 'M5 5h14v10H9l-4 4z',
  plans: 'M4 5h9l7 7-8 8-8-8zM8.5 9.5h.01',
};

interface NavItem {
  path: string;
  label: string;
  icon: string;
}

function NavLink(props: { item: NavItem; current: boolean }) {
  const { item, current } = props;
  return (
    <li>
      <a
        href={href(item.path)}
        class={current ? 'nav-link active' : 'nav-link'}
        aria-current={current ? 'page' : undefined}
        onClick={onLinkClick(item.path)}
      >
        <svg aria-hidden="true" viewBox="0 0 24 24" width="18" height="18">
          <path
            d={ICONS[item.icon]}
            fill="none"
            stroke="currentColor"
            stroke-width="1.7"
            stroke-linejoin="round"
          />
        </svg>
        <span>{item.label}</span>
      </a>
    </li>
  );
}

export function Layout(props: { path: string; children: ComponentChildren }) {
  const { admin, self, signOut } = useSession();
  const main = useRef<HTMLElement>(null);
  const first = useRef(true);

  // After a page change, move focus to the new page so keyboard and screen-reader users start there.
  useEffect(() => {
    if (first.current) {
      first.current = false;
      return;
    }
    main.current?.focus();
    window.scrollTo(0, 0);
  }, [props.path]);

  const items: NavItem[] = [
    { path: '/', label: 'Overview', icon: 'overview' },
    { path: '/keys', label: admin ? 'Keys' : 'My key', icon: 'keys' },
    { path: '/accounts', label: admin ? 'Accounts' : 'Account', icon: 'accounts' },
    { path: '/requests', label: 'Requests', icon: 'requests' },
    { path: '/models', label: 'Models', icon: 'models' },
    ...(admin ? [{ path: '/plans', label: 'Plans', icon: 'plans' }] : []),
    { path: '/playground', label: 'Playground', icon: 'playground' },
  ];
  const section = `/${props.path.split('/')[1] ?? ''}`;

  return (
    <div class="shell">
      <a class="skip-link" href="#main">
        Skip to content
      </a>
      <aside class="sidebar">
        <a class="brand" href={href('/')} onClick={onLinkClick('/')}>
          <span class="brand-mark" aria-hidden="true">
            t
          </span>
          <span>
            tokgate <span class="brand-sub">console</span>
          </span>
        </a>
        <nav aria-label="Console">
          <ul class="nav">
            {items.map((item) => (
              <NavLink key={item.path} item={item} current={section === item.path} />
            ))}
          </ul>
        </nav>
        <div class="who">
          <div class="who-text">
            <span class="who-label">Signed in as</span>
            <span class="who-name">{admin ? 'Administrator' : (self?.name ?? 'API key')}</span>
            {!admin && self?.account && <span class="who-detail">{self.account.name}</span>}
          </div>
          <button type="button" class="btn btn-ghost btn-small" onClick={signOut}>
            Sign out
          </button>
        </div>
      </aside>
      <main id="main" class="main" ref={main} tabIndex={-1}>
        {props.children}
      </main>
    </div>
  );
}
