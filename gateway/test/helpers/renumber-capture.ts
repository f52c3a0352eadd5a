/**
 * A real AMI capture with its numbers changed: every header whose name ends in `Num`, `Exten` or `DID` and whose
 * value is one of `numbers`' keys gets the mapped value. The rest of the bytes (event order, framing, other
 * headers) stays as captured, so the replay exercises the protocol as Asterisk sent it, with the number formats of
 * another market.
 */
export function renumberCapture(text: string, numbers: Readonly<Record<string, string>>): string {
  return text.replace(/^([A-Za-z]*(?:Num|Exten|DID)): (.*?)(\r?)$/gm, (line, key: string, value: string, cr: string) =>
    numbers[value] === undefined ? line : `${key}: ${numbers[value]}${cr}`,
  );
}
