/** Live loss curves (total and each named term, train and test) per epoch, with uPlot. */
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';

const COLORS = ['#1f77b4', '#ff7f0e', '#2ca02c', '#d62728', '#9467bd', '#8c564b', '#e377c2', '#7f7f7f'];

export class LossChart {
  private plot?: uPlot;
  private keys: string[] = [];
  private rows: Record<string, number>[] = [];

  constructor(private readonly root: HTMLElement) {}

  reset(): void {
    this.plot?.destroy();
    this.plot = undefined;
    this.rows = [];
    this.keys = [];
  }

  add(metrics: Record<string, number>): void {
    this.rows.push(metrics);
    const keys = Object.keys(metrics).filter((k) => /^(train|test)_/.test(k)).sort();
    if (!this.plot || keys.join() !== this.keys.join()) this.create(keys);
    this.plot!.setData([this.rows.map((r) => r.epoch!), ...this.keys.map((k) => this.rows.map((r) => r[k] ?? null))] as uPlot.AlignedData);
  }

  private create(keys: string[]): void {
    this.plot?.destroy();
    this.keys = keys;
    const series: uPlot.Series[] = [{ label: 'epoch' }, ...keys.map((k, i) => ({ label: k, stroke: COLORS[i % COLORS.length], width: 2, dash: k.startsWith('train_') ? [6, 4] : undefined }))];
    this.plot = new uPlot({ width: Math.max(320, this.root.clientWidth || 480), height: 220, series, scales: { x: { time: false } }, axes: [{ label: 'epoch' }, { label: 'nats per example' }] }, [[]], this.root);
  }
}
