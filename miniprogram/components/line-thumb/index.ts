/**
 * A goods line's square thumbnail (cart, confirm page, order page, order list): the picture cropped to fill, loaded
 * when it scrolls near; a neutral grey block with an image icon when the line has no picture or it fails to load.
 */
Component({
  properties: {
    /** The picture's URL; empty or null: the placeholder. */
    src: { type: String, value: '' },
    /** Side length in rpx. */
    size: { type: Number, value: 136 },
  },
  data: { failed: false },
  observers: {
    src() {
      if (this.data.failed) this.setData({ failed: false });
    },
  },
  methods: {
    onError() {
      this.setData({ failed: true });
    },
  },
});
