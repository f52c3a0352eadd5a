/** A readable form of an E.164 number for the widget's display hint (the widget copies the page's own format). */
export function displayNumber(e164: string): string {
  const d = e164.slice(1);
  if (d.length === 11 && d.startsWith('1')) return `(${d.slice(1, 4)}) ${d.slice(4, 7)}-${d.slice(7)}`;
  if (d.length === 11 && d.startsWith('7')) return `+7 (${d.slice(1, 4)}) ${d.slice(4, 7)}-${d.slice(7, 9)}-${d.slice(9)}`;
  return e164;
}
