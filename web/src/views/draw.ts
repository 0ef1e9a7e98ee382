/** A canvas to draw a digit on (white on black), read back at the model's size. */
export class DrawPad {
  private drawing = false;
  readonly size = 224;

  constructor(
    readonly canvas: HTMLCanvasElement,
    /** Called when a stroke ends or an image was loaded (replaceable). */
    public onChange: () => void,
  ) {
    canvas.width = canvas.height = this.size;
    this.clear();
    const ctx = canvas.getContext('2d')!;
    const at = (e: PointerEvent): [number, number] => {
      const r = canvas.getBoundingClientRect();
      return [((e.clientX - r.left) / r.width) * this.size, ((e.clientY - r.top) / r.height) * this.size];
    };
    canvas.addEventListener('pointerdown', (e) => {
      this.drawing = true;
      ctx.beginPath();
      ctx.moveTo(...at(e));
    });
    canvas.addEventListener('pointermove', (e) => {
      if (!this.drawing) return;
      ctx.lineTo(...at(e));
      ctx.stroke();
    });
    const end = () => {
      if (!this.drawing) return;
      this.drawing = false;
      this.onChange();
    };
    canvas.addEventListener('pointerup', end);
    canvas.addEventListener('pointerleave', end);
  }

  clear(): void {
    const ctx = this.canvas.getContext('2d')!;
    ctx.fillStyle = '#000';
    ctx.fillRect(0, 0, this.size, this.size);
    ctx.strokeStyle = '#fff';
    ctx.lineWidth = 18;
    ctx.lineCap = ctx.lineJoin = 'round';
  }

  /** Draw an image file into the pad (scaled to fit). */
  async load(file: Blob): Promise<void> {
    const bitmap = await createImageBitmap(file);
    this.clear();
    this.canvas.getContext('2d')!.drawImage(bitmap, 0, 0, this.size, this.size);
    this.onChange();
  }

  /** The drawing at h×w×c in [0, 1], as the model's input: RGB for c = 3, else grey (the mean of the channels). */
  pixels(h: number, w: number, c = 1): Float32Array {
    const small = new OffscreenCanvas(w, h);
    const ctx = small.getContext('2d')!;
    ctx.imageSmoothingQuality = 'high';
    ctx.drawImage(this.canvas, 0, 0, w, h);
    const rgba = ctx.getImageData(0, 0, w, h).data;
    if (c === 3) return Float32Array.from({ length: h * w * 3 }, (_, i) => rgba[4 * Math.floor(i / 3) + (i % 3)]! / 255);
    return Float32Array.from({ length: h * w }, (_, i) => (rgba[4 * i]! + rgba[4 * i + 1]! + rgba[4 * i + 2]!) / (3 * 255));
  }
}
