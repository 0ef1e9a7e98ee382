/**
 * The latent map: test codes as points coloured by label on a canvas (fast
 * for 10,000 points), the hovered point, and clicks turned into map
 * coordinates for decoding.
 */
export const PALETTE = ['#1f77b4', '#ff7f0e', '#2ca02c', '#d62728', '#9467bd', '#8c564b', '#e377c2', '#7f7f7f', '#bcbd22', '#17becf'];

export interface MapEvents {
  hover(index: number): void;
  pick(point: [number, number]): void;
}

export class LatentMap {
  private points: Float32Array = new Float32Array(0);
  private labels: Int32Array = new Int32Array(0);
  private bounds = { x0: -1, x1: 1, y0: -1, y1: 1 };
  private marker?: [number, number];
  readonly size = 360;

  constructor(
    readonly canvas: HTMLCanvasElement,
    private readonly events: MapEvents,
  ) {
    canvas.width = canvas.height = this.size;
    canvas.addEventListener('mousemove', (e) => {
      const i = this.nearest(this.toMap(e));
      if (i >= 0) this.events.hover(i);
    });
    canvas.addEventListener('click', (e) => {
      const p = this.toMap(e);
      this.marker = p;
      this.draw();
      this.events.pick(p);
    });
  }

  set(points: Float32Array, labels: Int32Array): void {
    this.points = points;
    this.labels = labels;
    let [x0, x1, y0, y1] = [Infinity, -Infinity, Infinity, -Infinity];
    for (let i = 0; i < points.length; i += 2) {
      x0 = Math.min(x0, points[i]!);
      x1 = Math.max(x1, points[i]!);
      y0 = Math.min(y0, points[i + 1]!);
      y1 = Math.max(y1, points[i + 1]!);
    }
    const pad = 0.05 * Math.max(x1 - x0, y1 - y0, 1e-6);
    this.bounds = { x0: x0 - pad, x1: x1 + pad, y0: y0 - pad, y1: y1 + pad };
    this.draw();
  }

  /** Mark a point of the map (a drawing's code). */
  mark(point: [number, number] | undefined): void {
    this.marker = point;
    this.draw();
  }

  private toPixel(x: number, y: number): [number, number] {
    const { x0, x1, y0, y1 } = this.bounds;
    return [((x - x0) / (x1 - x0)) * this.size, (1 - (y - y0) / (y1 - y0)) * this.size];
  }

  private toMap(e: MouseEvent): [number, number] {
    const rect = this.canvas.getBoundingClientRect();
    const px = ((e.clientX - rect.left) / rect.width) * this.size;
    const py = ((e.clientY - rect.top) / rect.height) * this.size;
    const { x0, x1, y0, y1 } = this.bounds;
    return [x0 + (px / this.size) * (x1 - x0), y1 - (py / this.size) * (y1 - y0)];
  }

  private nearest([x, y]: [number, number]): number {
    let best = -1;
    let bestD = Infinity;
    for (let i = 0; i < this.points.length / 2; i++) {
      const d = (this.points[2 * i]! - x) ** 2 + (this.points[2 * i + 1]! - y) ** 2;
      if (d < bestD) (bestD = d), (best = i);
    }
    return best;
  }

  draw(): void {
    const ctx = this.canvas.getContext('2d')!;
    ctx.fillStyle = '#fff';
    ctx.fillRect(0, 0, this.size, this.size);
    for (let i = 0; i < this.points.length / 2; i++) {
      const [px, py] = this.toPixel(this.points[2 * i]!, this.points[2 * i + 1]!);
      ctx.fillStyle = PALETTE[this.labels[i]! % PALETTE.length]!;
      // Whole pixels: no anti-aliased blends, so every dot is exactly its class colour.
      ctx.fillRect(Math.round(px) - 1, Math.round(py) - 1, 3, 3);
    }
    if (this.marker) {
      const [px, py] = this.toPixel(...this.marker);
      ctx.strokeStyle = '#000';
      ctx.lineWidth = 2;
      ctx.beginPath();
      ctx.arc(px, py, 7, 0, 2 * Math.PI);
      ctx.stroke();
    }
  }
}
