import { envBanner } from '../../services/env-info';

/** The build's environment at the top of each tab page (develop, trial, local preview); nothing on release. */
Component({
  data: { text: '', tone: 'develop' },
  lifetimes: {
    attached() {
      this.refresh();
    },
  },
  pageLifetimes: {
    show() {
      this.refresh();
    },
  },
  methods: {
    refresh() {
      const b = envBanner();
      if (b.text !== this.data.text || b.tone !== this.data.tone)
        this.setData({ text: b.text, tone: b.tone });
    },
  },
});
