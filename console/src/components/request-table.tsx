// The request log as a table; each row links to the request's detail.
import { dateTime, doorLabel, int, ms, usd } from '../format.js';
import { navigate } from '../router.js';
import type { RequestRecord } from '../types.js';
import { Link, StatusBadge } from './ui.js';

export function RequestTable(props: {
  records: RequestRecord[];
  keyNames?: Map<string, string>;
  compact?: boolean;
}) {
  const { records, keyNames, compact = false } = props;
  return (
    <div class="table-wrap">
      <table class="table table-hover">
        <thead>
          <tr>
            <th scope="col">Time</th>
            <th scope="col">Model</th>
            {!compact && <th scope="col">API</th>}
            {keyNames && <th scope="col">Key</th>}
            <th scope="col">Status</th>
            <th scope="col" class="num">
              Tokens in / out
            </th>
            <th scope="col" class="num">
              Cost
            </th>
            <th scope="col" class="num">
              Latency
            </th>
            {!compact && (
              <th scope="col" class="num">
                TTFT
              </th>
            )}
          </tr>
        </thead>
        <tbody>
          {records.map((record) => (
            <tr
              key={record.id}
              class="row-link"
              data-request-id={record.id}
              onClick={(event) => {
                if ((event.target as HTMLElement).closest('a')) return;
                navigate(`/requests/${record.id}`);
              }}
            >
              <td class="nowrap">
                <Link to={`/requests/${record.id}`} label={`Request ${record.id}`}>
                  {dateTime(record.created_at)}
                </Link>
              </td>
              <td>
                <span class="mono">{record.model}</span>
                {record.provider && <span class="sub">{record.provider}</span>}
              </td>
              {!compact && <td class="nowrap">{doorLabel(record.door)}</td>}
              {keyNames && (
                <td>{record.key_id ? (keyNames.get(record.key_id) ?? record.key_id) : 'admin key'}</td>
              )}
              <td>
                <StatusBadge status={record.status} />
                {record.status !== 'ok' && record.error_code && <span class="sub">{record.error_code}</span>}
              </td>
              <td class="num nowrap">
                {int(record.prompt_tokens)} / {int(record.completion_tokens)}
              </td>
              <td class="num">{usd(record.cost_usd)}</td>
              <td class="num nowrap">{ms(record.latency_ms)}</td>
              {!compact && <td class="num nowrap">{ms(record.ttft_ms)}</td>}
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
