// Reads a KEY=VALUE file (the doctor's --env-file): one setting a line, # comments and blank lines skipped, an optional
// leading "export ", and one pair of matching quotes around a value removed. Nothing is unescaped: the adapter itself
// turns "\n" inside PEM text into newlines, exactly as it does for the function's environment variables.

/** Parses env-file text into a record. Throws naming the line number (never its content) on a line without "=". */
export function parseEnvFile(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  text.split(/\r?\n/).forEach((line, i) => {
    const t = line.trim();
    if (t === '' || t.startsWith('#')) return;
    const body = t.startsWith('export ') ? t.slice('export '.length) : t;
    const eq = body.indexOf('=');
    if (eq <= 0) throw new Error(`line ${i + 1} is not KEY=VALUE`);
    const key = body.slice(0, eq).trim();
    let value = body.slice(eq + 1).trim();
    const q = value[0];
    if ((q === '"' || q === "'") && value.length >= 2 && value.endsWith(q)) value = value.slice(1, -1);
    out[key] = value;
  });
  return out;
}
