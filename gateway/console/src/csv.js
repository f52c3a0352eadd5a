// CSV for the console's own exports (the call list). RFC 4180 quoting; a cell that a spreadsheet would run as a
// formula (= + - @, tab, CR) is prefixed with an apostrophe (OWASP "CSV injection"). Twenty lines do not justify a
// dependency in the browser bundle, whose budget is 150 KB.
const FORMULA = /^[=+\-@\t\r]/;
export function csvCell(v) {
  if (v === null || v === undefined) return '';
  let s = String(v);
  if (FORMULA.test(s) && !/^[+-]?\d[\d\s().-]*$/.test(s)) s = `'${s}`;
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}
export const toCsv = (header, rows) => `\ufeff${[header, ...rows].map((r) => r.map(csvCell).join(',')).join('\r\n')}\r\n`;

export function saveText(name, text, type = 'text/csv;charset=utf-8') {
  const a = document.createElement('a');
  a.href = URL.createObjectURL(new Blob([text], { type }));
  a.download = name;
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(a.href), 10_000);
}
