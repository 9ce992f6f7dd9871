// A bar chart (Chart.js, only the parts used are bundled) with its numbers also in a table for screen
// readers and for anyone who would rather read than look.
import {
  BarController,
  BarElement,
  CategoryScale,
  Chart,
  type ChartConfiguration,
  Legend,
  LinearScale,
  Tooltip,
} from 'chart.js';
import { useEffect, useRef } from 'preact/hooks';

Chart.register(BarController, BarElement, CategoryScale, LinearScale, Tooltip, Legend);
Chart.defaults.font.family =
  'system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, "Noto Sans", sans-serif';
Chart.defaults.font.size = 12;
Chart.defaults.color = '#5b6474';

export const PALETTE = [
  '#4f46e5',
  '#0ea5e9',
  '#10b981',
  '#f59e0b',
  '#ef4444',
  '#8b5cf6',
  '#14b8a6',
  '#64748b',
];

export interface Series {
  label: string;
  values: number[];
  color?: string;
}

export function BarChart(props: {
  /** What the chart shows, read out as the image's name. */
  title: string;
  labels: string[];
  series: Series[];
  format: (value: number) => string;
  stacked?: boolean;
  horizontal?: boolean;
  /** Counts (requests, tokens): no fractional ticks. */
  integer?: boolean;
  height?: number;
}) {
  const canvas = useRef<HTMLCanvasElement>(null);
  const chart = useRef<Chart<'bar'> | null>(null);
  const { labels, series, format, stacked = false, horizontal = false, integer = false } = props;

  useEffect(() => {
    if (!canvas.current) return;
    const valueAxis = {
      beginAtZero: true,
      stacked,
      grid: { color: '#eef0f4' },
      border: { display: false },
      ticks: {
        callback: (value: string | number) => format(Number(value)),
        maxTicksLimit: 6,
        ...(integer ? { precision: 0 } : {}),
      },
    };
    const categoryAxis = {
      stacked,
      grid: { display: false },
      border: { color: '#e3e6ec' },
      ticks: { autoSkip: true, maxRotation: 0 },
    };
    const config: ChartConfiguration<'bar'> = {
      type: 'bar',
      data: {
        labels,
        datasets: series.map((s, i) => ({
          label: s.label,
          data: s.values,
          backgroundColor: s.color ?? PALETTE[i % PALETTE.length],
          borderRadius: 4,
          maxBarThickness: horizontal ? 22 : 36,
        })),
      },
      options: {
        indexAxis: horizontal ? 'y' : 'x',
        responsive: true,
        maintainAspectRatio: false,
        animation: false,
        plugins: {
          legend: {
            display: series.length > 1,
            position: 'bottom',
            labels: { boxWidth: 10, boxHeight: 10, useBorderRadius: true, borderRadius: 2 },
          },
          tooltip: {
            callbacks: { label: (item) => `${item.dataset.label ?? ''}: ${format(Number(item.raw))}` },
          },
        },
        scales: horizontal ? { x: valueAxis, y: categoryAxis } : { x: categoryAxis, y: valueAxis },
      },
    };
    chart.current = new Chart(canvas.current, config);
    return () => {
      chart.current?.destroy();
      chart.current = null;
    };
  }, [labels, series, format, stacked, horizontal, integer]);

  const totals = series.map((s) => s.values.reduce((sum, v) => sum + v, 0));
  const summary = `${props.title}. ${series.map((s, i) => `${s.label} total ${format(totals[i] ?? 0)}`).join('; ')}.`;

  return (
    <figure class="chart">
      <div class="chart-canvas" style={{ height: `${props.height ?? 240}px` }}>
        <canvas ref={canvas} role="img" aria-label={summary} />
      </div>
      <details class="chart-table">
        <summary>Show data</summary>
        <div class="table-wrap">
          <table>
            <caption class="sr-only">{props.title}</caption>
            <thead>
              <tr>
                <th scope="col">{horizontal ? 'Name' : 'Day'}</th>
                {series.map((s) => (
                  <th scope="col" class="num" key={s.label}>
                    {s.label}
                  </th>
                ))}
              </tr>
            </thead>
            <tbody>
              {labels.map((label, row) => (
                <tr key={label}>
                  <th scope="row">{label}</th>
                  {series.map((s) => (
                    <td class="num" key={s.label}>
                      {format(s.values[row] ?? 0)}
                    </td>
                  ))}
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      </details>
    </figure>
  );
}
