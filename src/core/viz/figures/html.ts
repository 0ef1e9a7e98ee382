/** Small helpers for writing self-contained HTML: escaping, tables, embedded images. */

const ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

/** Text made safe for HTML element content and quoted attribute values. */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ESCAPES[c]);
}

/** A table of already-stringified cells; every cell is escaped. */
export function htmlTable(header: readonly string[], rows: readonly (readonly string[])[], className = ''): string {
  const head = `<tr>${header.map((h) => `<th>${escapeHtml(h)}</th>`).join('')}</tr>`;
  const body = rows.map((r) => `<tr>${r.map((c) => `<td>${escapeHtml(c)}</td>`).join('')}</tr>`).join('\n');
  return `<table${className ? ` class="${escapeHtml(className)}"` : ''}>\n<thead>${head}</thead>\n<tbody>\n${body}\n</tbody>\n</table>`;
}

/** Bytes as base64 (btoa, in pieces: it takes a string of one character per byte). */
export function base64(bytes: Uint8Array): string {
  let binary = '';
  for (let i = 0; i < bytes.length; i += 0x8000) binary += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(binary);
}

/** Width and height of PNG bytes, from the IHDR chunk. */
export function pngSize(png: Uint8Array): { width: number; height: number } {
  const view = new DataView(png.buffer, png.byteOffset, png.byteLength);
  return { width: view.getUint32(16), height: view.getUint32(20) };
}

/**
 * An `<img>` holding a PNG as a data: URI. `zoom` enlarges it on screen
 * with crisp pixels (for grids of small images).
 */
export function pngImg(png: Uint8Array, alt: string, zoom = 1): string {
  const { width, height } = pngSize(png);
  const src = `data:image/png;base64,${base64(png)}`;
  const style = zoom === 1 ? '' : ' class="pixels"';
  return `<img${style} src="${src}" width="${width * zoom}" height="${height * zoom}" alt="${escapeHtml(alt)}">`;
}

/** An `<img>` holding an SVG as a data: URI (kept apart from the page, so ids in it cannot clash). */
export function svgImg(svg: string, alt: string): string {
  return `<img src="data:image/svg+xml;base64,${base64(new TextEncoder().encode(svg))}" alt="${escapeHtml(alt)}">`;
}

/** Numbers in tables: integers as they are, others to 5 significant digits. */
export function formatValue(value: unknown): string {
  if (typeof value === 'number') return Number.isInteger(value) ? String(value) : String(Number(value.toPrecision(5)));
  if (value === null || value === undefined) return '';
  if (Array.isArray(value)) return value.map(formatValue).join(', ');
  return typeof value === 'object' ? JSON.stringify(value) : String(value);
}
