// Which way imports may run (README "Layout"): entry -> servers (relay/http,
// ingest) -> api -> core -> formats, with errors.ts at the bottom. `npm test`
// runs `npm run lint:deps`, which fails on any rule below.
/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    {
      name: 'no-cycles',
      comment: 'A cycle, type-only imports included, means two modules are one idea or a seam is missing.',
      severity: 'error',
      from: {},
      to: { circular: true },
    },
    {
      name: 'formats-are-pure',
      comment: 'relay/formats/ holds parsers with no I/O: they import only each other and the error catalog.',
      severity: 'error',
      from: { path: '^relay/formats/' },
      to: { path: '^(relay|ingest|loadtest)/', pathNot: ['^relay/formats/', '^relay/errors\\.ts$'] },
    },
    {
      name: 'core-knows-no-transport',
      comment: 'The core never knows which server or route a listener or source came through.',
      severity: 'error',
      from: { path: '^relay/core/' },
      to: { path: ['^relay/(http|api)/', '^ingest/', '^loadtest/', '^relay/(cli|cli-program|cli-values|relay-server)\\.ts$', '^relay/metrics/(?!metrics\\.ts$)'] },
    },
    {
      name: 'metrics-registry-is-low',
      comment: 'relay/metrics/metrics.ts is imported by the core, so it may only import leaves below it.',
      severity: 'error',
      from: { path: '^relay/metrics/metrics\\.ts$' },
      to: { path: ['^relay/(http|api|formats)/', '^ingest/', '^relay/core/(?!disconnect-reason\\.ts$)'] },
    },
    {
      name: 'api-is-transport-free',
      comment: 'Routes are written once for every server: they never import a server or the source side.',
      severity: 'error',
      from: { path: '^relay/api/' },
      to: { path: ['^relay/http/', '^ingest/', '^relay/metrics/(?!metrics\\.ts$)', '^relay/(cli|cli-program|cli-values|relay-server)\\.ts$'] },
    },
    {
      name: 'cluster-below-api',
      comment: 'relay/cluster/ (peers, redirects, drain) is used by the routes and the servers; it uses the core only.',
      severity: 'error',
      from: { path: '^relay/cluster/' },
      to: { path: ['^relay/(http|api|settings)/', '^ingest/', '^relay/metrics/(?!metrics\\.ts$)', '^relay/(cli|cli-program|cli-values|relay-server)\\.ts$'] },
    },
    {
      name: 'ingest-below-servers',
      comment: 'The source side uses the core; the front door hands sources to it, never the other way round.',
      severity: 'error',
      from: { path: '^ingest/' },
      to: { path: ['^relay/http/', '^relay/(cli|cli-program|relay-server)\\.ts$', '^loadtest/'] },
    },
    {
      name: 'shared-leaves-stay-leaves',
      comment: 'errors, config and log sit under everything; they may use the formats only.',
      severity: 'error',
      from: { path: '^relay/(errors|config|log)\\.ts$' },
      to: { path: ['^relay/(http|api|core|metrics)/', '^ingest/', '^loadtest/', '^relay/(cli|cli-program|relay-server)\\.ts$'] },
    },
    {
      name: 'entry-is-the-top',
      comment: 'Nothing imports the entry point or the composition root but the entry point.',
      severity: 'error',
      from: { pathNot: '^relay/cli(-program)?\\.ts$' },
      to: { path: '^relay/(cli|cli-program|relay-server)\\.ts$' },
    },
    {
      name: 'settings-are-entry-level',
      comment: 'relay/settings/ reads files at start and on reload: only the entry uses it; the core reads core/mount-settings.ts.',
      severity: 'error',
      from: { path: '^(relay/(http|api|core|formats|metrics)/|ingest/)' },
      to: { path: '^relay/settings/' },
    },
    {
      name: 'tests-not-imported',
      severity: 'error',
      from: { pathNot: '^test/' },
      to: { path: '^test/' },
    },
    {
      name: 'no-unresolvable',
      severity: 'error',
      from: {},
      to: { couldNotResolve: true },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    // Type-only imports count: a cycle through types is still a cycle of ideas.
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: { extensions: ['.ts', '.js'] },
  },
};
