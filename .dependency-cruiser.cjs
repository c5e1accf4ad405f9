// `npm run check:deps`: no import cycle (type-only imports count), and dependencies point one way —
// HTTP layer → modules → jobs → lib → config (docs/architecture.md, "Layers").
// Paths are matched against files under src/.
const CONFIG = '^src/config\\.ts$|^src/.+\\.config\\.ts$';
const LIB = '^src/lib/';
const JOBS = '^src/jobs/';
// The App type: what modules and the schema kit receive. It belongs with the modules (it names two
// module services) and imports types only; jobs/ and lib/ never import it.
const APP = '^src/app\\.ts$';
// What a feature module may build on for its GraphQL types and REST routes: the Pothos builder, the
// request context, shared GraphQL types and the route types. None of them imports a feature.
const KIT = '^src/graphql/(builder|context|common\\.schema|query-bounds|upload)\\.ts$|^src/rest/route-types\\.ts$';
const MODULES = '^src/modules/';
// The HTTP layer and the entry points: everything else under src/.
const HTTP = '^src/(server|main|worker|cli|create-app)\\.ts$|^src/graphql/|^src/rest/';
const GENERATED = '^src/generated/';
const below = (...layers) => [...layers, GENERATED].join('|');

module.exports = {
  forbidden: [
    {
      name: 'no-cycle',
      severity: 'error',
      comment:
        'No import cycle, type-only or not. A job handler loaded lazily by its definition (`handler: () => import(…)`) may ' +
        'import that definition to enqueue more work: the dynamic import runs when a worker takes a job, not when modules load.',
      from: { path: '^src/' },
      to: { circular: true, viaOnly: { dependencyTypesNot: ['dynamic-import'] } },
    },
    {
      name: 'config-is-the-bottom',
      severity: 'error',
      comment: 'config.ts and every *.config.ts read the environment only: they import no other part of src/.',
      from: { path: CONFIG },
      to: { path: '^src/', pathNot: below(CONFIG) },
    },
    {
      name: 'lib-knows-no-application',
      severity: 'error',
      comment: 'lib/ is the toolbox: it imports nothing from app.ts, jobs/, modules/ or the HTTP layer (give it narrow parameters).',
      from: { path: LIB },
      to: { path: '^src/', pathNot: below(LIB, CONFIG) },
    },
    {
      name: 'jobs-know-no-feature',
      severity: 'error',
      comment: 'jobs/ runs job definitions it is given; modules define them and create-app.ts hands them over.',
      from: { path: JOBS },
      to: { path: '^src/', pathNot: below(JOBS, LIB, CONFIG) },
    },
    {
      name: 'app-type-is-types-only',
      severity: 'error',
      comment: 'app.ts declares the App type (create-app.ts builds it): it imports types only, and nothing from the HTTP layer.',
      from: { path: APP },
      to: { path: '^src/', dependencyTypesNot: ['type-only'] },
    },
    {
      name: 'app-type-below-http',
      severity: 'error',
      from: { path: APP },
      to: { path: HTTP },
    },
    {
      name: 'schema-kit-imports-no-feature',
      severity: 'error',
      comment: 'The Pothos builder, the request context and the route types import no module: modules build on them.',
      from: { path: KIT },
      to: { path: '^src/', pathNot: below(KIT, APP, JOBS, LIB, CONFIG) },
    },
    {
      name: 'modules-below-http',
      severity: 'error',
      comment: 'Feature modules never import the HTTP layer or the entry points (only the schema kit and route types).',
      from: { path: MODULES, pathNot: CONFIG },
      to: { path: HTTP, pathNot: KIT },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    exclude: { path: '^src/generated/' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: { extensions: ['.ts', '.js'] },
  },
};
