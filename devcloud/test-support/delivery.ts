// The shared delivery fixture of tests, benches and scripts: an express address as wx.chooseAddress answers it, and
// the `delivery` field order.place / order.checkout send with it (docs/adr/0009).

/** A complete, valid address (every field within the server's limits). */
export const TEST_ADDRESS = {
  userName: '张三',
  telNumber: '13800138000',
  provinceName: '广东省',
  cityName: '广州市',
  countyName: '海珠区',
  detailInfo: '新港中路 397 号',
  postalCode: '510000',
} as const;

/** Express delivery to {@link TEST_ADDRESS}. */
export const TEST_DELIVERY = { kind: 'express', address: { ...TEST_ADDRESS } } as const;

/** {@link TEST_ADDRESS} as an order keeps it (the snapshot of docs/adr/0009: the contract's AddressView). */
export const TEST_ADDRESS_KEPT = {
  name: TEST_ADDRESS.userName,
  phone: TEST_ADDRESS.telNumber,
  province: TEST_ADDRESS.provinceName,
  city: TEST_ADDRESS.cityName,
  district: TEST_ADDRESS.countyName,
  detail: TEST_ADDRESS.detailInfo,
  postalCode: TEST_ADDRESS.postalCode,
} as const;
