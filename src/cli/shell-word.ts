/** Commands printed for the user to paste: each argument as one shell word. */

/** `text` as one POSIX shell word, quoted only when it needs to be. */
export function shellWord(text: string): string {
  return /^[\w@%+=:,./-]+$/.test(text) ? text : `'${text.replace(/'/g, `'\\''`)}'`;
}
