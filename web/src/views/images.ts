/** Images ([n, h·w·c] in [0, 1]) drawn into a canvas as a grid, with the core's tiling. */
import { tileImages } from '../../../src/core/viz/grid.js';

export function drawImages(canvas: HTMLCanvasElement, images: Float32Array, count: number, shape: readonly [number, number, number], cols = Math.ceil(Math.sqrt(count)), scale = 2): void {
  const picture = tileImages(images, count, shape, { cols, scale, pad: 1 });
  canvas.width = picture.width;
  canvas.height = picture.height;
  canvas.getContext('2d')!.putImageData(new ImageData(new Uint8ClampedArray(picture.rgba), picture.width, picture.height), 0, 0);
}
