// The layer rules of docs/ARCHITECTURE (see docs/adr/0001). `npm run arch` fails on any violation.
/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    {
      name: 'domain-is-pure',
      comment: 'server/domain imports nothing outside server/domain: no I/O, no SDKs, no node built-ins.',
      severity: 'error',
      from: { path: '^server/domain/' },
      to: { pathNot: ['^server/domain/'] },
    },
    {
      name: 'application-uses-domain-only',
      comment:
        'server/application imports server/domain, itself (ports are interfaces it owns) and the type-only contracts.',
      severity: 'error',
      from: { path: '^server/application/' },
      to: { pathNot: ['^server/application/', '^server/domain/', '^typings/contracts/'] },
    },
    {
      name: 'adapters-do-not-import-composition',
      severity: 'error',
      from: { path: '^server/adapters/' },
      to: { path: '^server/composition' },
    },
    {
      name: 'function-entries-are-thin',
      comment: 'cloudfunctions/*/src import the composition root and the runtime adapter only.',
      severity: 'error',
      from: { path: '^cloudfunctions/[^/]+/src/' },
      to: {
        pathNot: [
          '^cloudfunctions/[^/]+/src/',
          '^server/composition',
          '^server/adapters/runtime/',
          '^typings/',
        ],
      },
    },
    {
      name: 'server-never-imports-dev-tools',
      comment: 'The simulator, the local cloud and tests are dev-only and never reach a function bundle.',
      severity: 'error',
      from: { path: '^(server|cloudfunctions)/', pathNot: '\\.test\\.ts$' },
      to: { path: '^(simulator|devcloud|test|scripts)/' },
    },
    {
      name: 'simulator-is-independent',
      comment: 'The simulator is an independent oracle: it shares no code with the client it checks.',
      severity: 'error',
      from: { path: '^simulator/', pathNot: '\\.test\\.ts$' },
      to: { path: '^(server|cloudfunctions|devcloud|miniprogram)/' },
    },
    {
      name: 'devcloud-never-imports-scripts',
      comment:
        'The local cloud is a library the scripts use (npm start builds in scripts/start.ts, then calls devcloud/start.ts), never the reverse.',
      severity: 'error',
      from: { path: '^devcloud/' },
      to: { path: '^scripts/' },
    },
    {
      name: 'miniprogram-is-self-contained',
      comment: 'Mini program code imports itself and the type-only contracts in typings/.',
      severity: 'error',
      from: { path: '^miniprogram/' },
      to: { pathNot: ['^miniprogram/', '^typings/'] },
    },
    {
      name: 'contracts-are-leaf',
      severity: 'error',
      from: { path: '^typings/' },
      to: { pathNot: ['^typings/'] },
    },
    {
      name: 'no-circular',
      severity: 'error',
      from: {},
      to: { circular: true },
    },
    {
      name: 'not-to-unresolvable',
      severity: 'error',
      comment: 'wx-server-sdk is external to every bundle and installed in the cloud (see docs/adr/0001).',
      from: {},
      to: { couldNotResolve: true, pathNot: '^wx-server-sdk$' },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    exclude: { path: ['node_modules', 'miniprogram_npm', '^cloudfunctions/[^/]+/index\\.js$', '^\\.build/'] },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: {
      exportsFields: ['exports'],
      conditionNames: ['import', 'require', 'node', 'default'],
    },
  },
};
