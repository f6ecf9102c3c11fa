// Tests run through babel-jest: TypeScript is stripped, not type-checked (`npm run typecheck` does that).
module.exports = {
  presets: [
    ['@babel/preset-env', { targets: { node: 'current' } }],
    ['@babel/preset-typescript', { allowDeclareFields: true }],
  ],
};
