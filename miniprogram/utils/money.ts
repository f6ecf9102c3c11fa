/** Formats an integer number of fen as a yuan string with integer math only: 1234 → "12.34". */
export function fenToYuanText(amountFen: number): string {
  if (!Number.isSafeInteger(amountFen) || amountFen < 0) return '--';
  const cents = amountFen % 100;
  return `${Math.floor(amountFen / 100)}.${cents < 10 ? '0' : ''}${cents}`;
}
