// The console shell: restores the session, shows sign-in or the signed-in layout, and picks the page.
import { useEffect, useMemo, useState } from 'preact/hooks';
import { ApiError, createApi } from './api.js';
import { Layout } from './components/layout.js';
import { Loading } from './components/ui.js';
import { AccountsPage } from './pages/accounts.js';
import { KeysPage } from './pages/keys.js';
import { ModelsPage } from './pages/models.js';
import { NotFoundPage } from './pages/not-found.js';
import { OverviewPage } from './pages/overview.js';
import { PlansPage } from './pages/plans.js';
import { PlaygroundPage } from './pages/playground.js';
import { RequestsPage } from './pages/requests.js';
import { SignInPage } from './pages/sign-in.js';
import { navigate, useRoute } from './router.js';
import { type Session, SessionContext, type SignedIn, signIn, storedKey, storeKey } from './session.js';

function Page(props: { path: string }) {
  const [, section = '', rest] = props.path.split('/');
  switch (section) {
    case '':
      return <OverviewPage />;
    case 'keys':
      return <KeysPage />;
    case 'accounts':
      return <AccountsPage accountId={rest} />;
    case 'requests':
      return <RequestsPage requestId={rest} />;
    case 'models':
      return <ModelsPage />;
    case 'plans':
      return <PlansPage />;
    case 'playground':
      return <PlaygroundPage />;
    default:
      return <NotFoundPage />;
  }
}

export function App() {
  const { path } = useRoute();
  const [signedIn, setSignedIn] = useState<SignedIn | undefined>();
  const [restoring, setRestoring] = useState(() => storedKey() !== undefined);
  const [restoreError, setRestoreError] = useState<string | undefined>();

  useEffect(() => {
    const key = storedKey();
    if (!key) return;
    signIn(key)
      .then(setSignedIn, (error: unknown) => {
        // A key that stopped working (revoked, expired) ends the session; a network error keeps it.
        if (error instanceof ApiError && (error.status === 401 || error.status === 403)) storeKey(undefined);
        setRestoreError(error instanceof Error ? error.message : String(error));
      })
      .finally(() => setRestoring(false));
  }, []);

  const session = useMemo<Session | undefined>(() => {
    if (!signedIn) return undefined;
    const { info } = signedIn;
    return {
      api: createApi(signedIn.key),
      admin: info.object === 'admin',
      self: info.object === 'admin' ? undefined : info,
      signOut: () => {
        storeKey(undefined);
        navigate('/', { replace: true });
        setSignedIn(undefined);
        setRestoreError(undefined);
      },
    };
  }, [signedIn]);

  useEffect(() => {
    const page = path.split('/')[1] || 'overview';
    const title = page.charAt(0).toUpperCase() + page.slice(1);
    document.title = session ? `${title} · tokgate console` : 'Sign in · tokgate console';
  }, [path, session]);

  if (restoring) {
    return (
      <main class="center-screen">
        <Loading label="Signing in…" />
      </main>
    );
  }
  if (!session) {
    return (
      <SignInPage
        initialError={restoreError}
        onSignedIn={(result) => {
          storeKey(result.key);
          setSignedIn(result);
        }}
      />
    );
  }
  return (
    <SessionContext.Provider value={session}>
      <Layout path={path}>
        <Page path={path} />
      </Layout>
    </SessionContext.Provider>
  );
}
