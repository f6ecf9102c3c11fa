// A QR code's modules for a text (WeChat Pay's code_url), from the qrcode-generator package (MIT): the page draws them
// as a grid of views, which renders the same in DevTools, on phones and in the page tests.
import qrcode from 'qrcode-generator';

/** Rows of the QR code's modules, 1 = dark. Error correction M, the smallest version the text fits. */
export function qrMatrix(text: string): number[][] {
  const qr = qrcode(0, 'M');
  qr.addData(text, 'Byte');
  qr.make();
  const n = qr.getModuleCount();
  const rows: number[][] = [];
  for (let r = 0; r < n; r++) {
    const row: number[] = [];
    for (let c = 0; c < n; c++) row.push(qr.isDark(r, c) ? 1 : 0);
    rows.push(row);
  }
  return rows;
}
