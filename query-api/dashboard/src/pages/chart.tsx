import { useEffect, useRef } from 'preact/hooks';
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';

/** A small time chart of one series (times in s, values), as wide as its container. */
export function Chart(props: { title: string; unit: string; times: number[]; values: (number | null)[] }) {
  const box = useRef<HTMLDivElement>(null);
  const plot = useRef<uPlot | null>(null);
  useEffect(() => {
    const el = box.current;
    if (!el) return;
    const chart = new uPlot(
      {
        width: Math.max(200, el.clientWidth),
        height: 160,
        legend: { show: false },
        scales: { x: { time: true } },
        axes: [{}, { size: 60 }],
        series: [{}, { label: props.title, stroke: '#1f6feb', width: 2, fill: 'rgba(31,111,235,0.12)' }],
      },
      [props.times, props.values],
      el,
    );
    plot.current = chart;
    const resize = new ResizeObserver(() => chart.setSize({ width: Math.max(200, el.clientWidth), height: 160 }));
    resize.observe(el);
    return () => {
      resize.disconnect();
      chart.destroy();
      plot.current = null;
    };
  }, [props.title]);
  useEffect(() => {
    plot.current?.setData([props.times, props.values]);
  }, [props.times, props.values]);
  const last = props.values.at(-1);
  return (
    <figure class="chart">
      <figcaption>
        {props.title}:{' '}
        <strong>{last === null || last === undefined ? '—' : `${last.toLocaleString('en-US')} ${props.unit}`}</strong>
      </figcaption>
      <div ref={box} role="img" aria-label={`${props.title} over the last minutes`} />
    </figure>
  );
}
