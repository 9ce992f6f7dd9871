import { Empty, Link, PageHeader } from '../components/ui.js';

export function NotFoundPage() {
  return (
    <>
      <PageHeader title="Page not found" />
      <div class="panel">
        <Empty title="There is no console page at this address.">
          <Link to="/">Go to the overview</Link>
        </Empty>
      </div>
    </>
  );
}
