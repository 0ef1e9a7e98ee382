/**
 * A small RFC 4180 tokenizer: quoted fields (with "" for a quote, and commas
 * or newlines inside quotes), CRLF or LF line ends. It is fed text in chunks
 * of any size, so a file streams through it with bounded memory, and every
 * record carries the 1-based line number where it starts (for messages).
 */

export interface CsvRecord {
  fields: string[];
  /** 1-based line of the file where the record starts. */
  line: number;
  /** Why the record is malformed (text after a closing quote, unterminated quote). */
  error?: string;
}

type State = 'fieldStart' | 'unquoted' | 'quoted' | 'afterQuote';

export class CsvTokenizer {
  private state: State = 'fieldStart';
  private field = '';
  private fields: string[] = [];
  private line = 1;
  private recordLine = 1;
  private error: string | undefined;

  constructor(private readonly onRecord: (record: CsvRecord) => void) {}

  /** Feed the next piece of text (chunk boundaries may fall anywhere). */
  push(text: string): void {
    for (let i = 0; i < text.length; i++) {
      if (this.state === 'unquoted' || this.state === 'fieldStart') {
        // Fast path: copy a run of plain characters at once.
        const end = plainRunEnd(text, i, this.state === 'fieldStart');
        if (end > i) {
          this.field += text.slice(i, end);
          this.state = 'unquoted';
          i = end - 1;
          continue;
        }
      }
      const c = text[i]!;
      switch (this.state) {
        case 'quoted':
          if (c === '"') this.state = 'afterQuote';
          else {
            if (c === '\n') this.line++;
            this.field += c;
          }
          break;
        case 'afterQuote':
          if (c === '"') {
            this.field += '"';
            this.state = 'quoted';
          } else this.separatorOrText(c, true);
          break;
        case 'fieldStart':
          if (c === '"') this.state = 'quoted';
          else this.separatorOrText(c, false);
          break;
        default:
          this.separatorOrText(c, false);
      }
    }
  }

  /** Flush the last record (a file need not end with a newline). */
  end(): void {
    if (this.state === 'quoted') this.error ??= 'a quoted field is never closed';
    if (this.state !== 'fieldStart' || this.fields.length > 0 || this.field !== '') this.endRecord();
  }

  private separatorOrText(c: string, afterQuote: boolean): void {
    if (c === ',') {
      this.fields.push(this.field);
      this.field = '';
      this.state = 'fieldStart';
    } else if (c === '\n') {
      this.endRecord();
      this.line++;
      this.recordLine = this.line;
    } else if (c === '\r') {
      // Part of a CRLF line end (a lone CR inside an unquoted field is dropped too).
    } else if (afterQuote) {
      this.error ??= `text after the closing quote of field ${this.fields.length + 1}`;
      this.field += c;
      this.state = 'unquoted';
    } else {
      this.field += c;
      this.state = 'unquoted';
    }
  }

  private endRecord(): void {
    this.fields.push(this.field);
    const blank = this.fields.length === 1 && this.fields[0] === '' && this.state === 'fieldStart';
    if (!blank) this.onRecord({ fields: this.fields, line: this.recordLine, ...(this.error ? { error: this.error } : {}) });
    this.fields = [];
    this.field = '';
    this.error = undefined;
    this.state = 'fieldStart';
  }
}

/**
 * End of the run of characters from `start` that need no special handling
 * in an unquoted field (anything but , " CR LF; a quote is plain only mid-field).
 */
function plainRunEnd(text: string, start: number, atFieldStart: boolean): number {
  let i = start;
  for (; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (code === 44 || code === 10 || code === 13) break; // , LF CR
    if (code === 34 && atFieldStart && i === start) break; // an opening quote
  }
  return i;
}

/** Every record of a whole CSV text (tests, small files). */
export function parseCsvText(text: string): CsvRecord[] {
  const records: CsvRecord[] = [];
  const tokenizer = new CsvTokenizer((r) => records.push(r));
  tokenizer.push(text);
  tokenizer.end();
  return records;
}

/**
 * A feature cell as a number: NaN means missing (an empty cell, `NaN`, `nan`,
 * `NA`); undefined means text that is not a number.
 */
export function parseCell(cell: string): number | undefined {
  const s = cell.trim();
  if (s === '' || s === 'NaN' || s === 'nan' || s === 'NA') return NaN;
  const v = Number(s);
  // Number('0x1f') and Number('Infinity') are numbers to JavaScript but not to a table.
  if (!Number.isFinite(v) || /^[+-]?0[xob]/i.test(s)) return undefined;
  return v;
}
