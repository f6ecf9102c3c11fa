// 联系客服: WeChat's own customer-service session (<button open-type="contact">). The shop must switch 客服 on in the
// admin console (README "Customer service"); session-from tells the service who is asking about what ("order:<no>").
Component({
  properties: {
    /** Passed to WeChat as session-from, e.g. "order:O2026…" (the shop sees it in the customer-service session). */
    sessionFrom: { type: String, value: 'shop' },
    text: { type: String, value: '联系客服' },
    /** 'inline': a small link-like button next to a sentence; 'block': a full-width outline button. */
    look: { type: String, value: 'inline' },
  },
});
