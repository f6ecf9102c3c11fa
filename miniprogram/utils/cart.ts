import type { CartLineView, CartView } from '../../typings/contracts/shop';
import { fenToYuanText } from './money';

/** What a cart line shows. `problem` is the kind (for the look), `problemText` the words. */
export interface CartLineVM {
  skuId: string;
  title: string;
  spec: string;
  /** The product's picture ('' = the placeholder). */
  imageUrl: string;
  priceText: string;
  quantity: number;
  maxQuantity: number;
  selected: boolean;
  problem: '' | 'unknown' | 'offsale' | 'soldout' | 'lowstock' | 'overlimit' | 'price';
  problemText: string;
  /** The quantity cannot be changed (the line cannot be bought at all). */
  frozen: boolean;
}

export interface CartVM {
  /** Lines that can be bought (perhaps after a change of quantity). */
  lines: CartLineVM[];
  /** 失效商品: gone, off sale or sold out. Never selectable; the shopper can only clear them. */
  invalid: CartLineVM[];
  selectedCount: number;
  totalText: string;
  allSelected: boolean;
  /** A selected line that cannot be ordered as it stands: checkout would be refused. */
  blockedText: string;
  empty: boolean;
}

/** `seen` = the price the shopper saw when adding (client memory; display only). */
export function toCartLineVM(l: CartLineView, seen: number | undefined): CartLineVM {
  const base = {
    skuId: l.skuId,
    title: l.title,
    spec: l.spec,
    imageUrl: l.imageUrl ?? '',
    priceText: fenToYuanText(l.unitPriceFen),
    quantity: l.quantity,
    maxQuantity: Math.max(1, l.maxQuantity),
    selected: l.selected,
    frozen: false,
  };
  switch (l.problem) {
    case 'UNKNOWN_SKU':
      return { ...base, problem: 'unknown', problemText: '商品已不存在', frozen: true };
    case 'OFF_SALE':
      return { ...base, problem: 'offsale', problemText: '已下架', frozen: true };
    case 'OUT_OF_STOCK':
      // More in the line than is left: sold out when nothing is left, else the shopper can lower the quantity.
      return l.maxQuantity > 0
        ? { ...base, problem: 'lowstock', problemText: `库存不足，仅剩 ${l.maxQuantity} 件` }
        : { ...base, problem: 'soldout', problemText: '已售罄', frozen: true };
    case 'OVER_LIMIT':
      return { ...base, problem: 'overlimit', problemText: `超出限购，最多可买 ${l.maxQuantity} 件` };
    default:
      if (seen !== undefined && seen !== l.unitPriceFen) {
        return {
          ...base,
          problem: 'price',
          problemText: `价格有变动：加入时 ¥${fenToYuanText(seen)}，现价 ¥${fenToYuanText(l.unitPriceFen)}`,
        };
      }
      return { ...base, problem: '', problemText: '' };
  }
}

export function toCartVM(c: CartView, seen: (skuId: string) => number | undefined): CartVM {
  const all = c.lines.map((l) => toCartLineVM(l, seen(l.skuId)));
  const lines = all.filter((l) => !l.frozen);
  const blocked = lines.find((l) => l.selected && l.problem !== '' && l.problem !== 'price');
  return {
    lines,
    invalid: all.filter((l) => l.frozen),
    selectedCount: c.selectedCount,
    totalText: fenToYuanText(c.selectedTotalFen),
    allSelected: lines.length > 0 && lines.every((l) => l.selected),
    blockedText: blocked ? `「${blocked.title}」${blocked.problemText}，请调整后再结算` : '',
    empty: all.length === 0,
  };
}
