// Which way the sidecar's dependencies may run (README "Layers"), checked by `npm run lint`.
/** Modules that do I/O: what pure code may not import. */
const IO_PACKAGES = '(^|/)node_modules/(axios|express|pg|better-sqlite3|node-cron|pino)/';
const IO_CORE = '^(node:)?(fs|fs/promises|http|https|http2|net|tls|dgram|child_process)$';
const IO_FOLDERS = '^sidecar/src/(store|wordpress|connectors)/|^sidecar/src/logger\\.ts$';

/** Pure modules outside provisioning/: parsing and evaluating SCIM, merging changes. */
const PURE_MODULES = [
  '^sidecar/src/scim/(filter|patch|projection|validate|etag|list|errors|pushdown)\\.ts$',
  '^sidecar/src/scim/schemas/',
  '^sidecar/src/outbound/coalesce\\.ts$',
];

/** No folder of sidecar/src takes part in a dependency cycle (known edges aside). */
const folderCycleRules = [
  {
    name: 'no-folder-cycles',
    comment:
      'Folders of sidecar/src depend on each other one way only (scim/, engine/, outbound/ → connectors/ contracts → provisioning/ → wordpress/, store/).',
    severity: 'error',
    scope: 'folder',
    from: { path: '^sidecar/src/' },
    to: { circular: true },
  },
];

/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    ...folderCycleRules,
    {
      name: 'provisioning-is-pure',
      comment:
        'provisioning/ holds the rules every path shares; it decides, the callers do the I/O.',
      severity: 'error',
      from: { path: '^sidecar/src/provisioning/' },
      to: { path: [IO_PACKAGES, IO_CORE, IO_FOLDERS] },
    },
    {
      name: 'pure-modules-import-no-io',
      comment: 'Parsers and evaluators stay pure so they can be tested and reused anywhere.',
      severity: 'error',
      from: { path: PURE_MODULES },
      to: { path: [IO_PACKAGES, IO_CORE, IO_FOLDERS] },
    },
    {
      name: 'engine-outbound-use-connector-contracts',
      comment:
        'engine/ (pulls) and outbound/ (pushes) know connectors only by their contracts (connectors/types.ts) and the registry that builds them.',
      severity: 'error',
      from: { path: '^sidecar/src/(engine|outbound)/' },
      to: { path: '^sidecar/src/connectors/[^/]+/' },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    exclude: { path: '(^|/)dist/' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'sidecar/tsconfig.json' },
    enhancedResolveOptions: {
      exportsFields: ['exports'],
      conditionNames: ['import', 'require', 'node', 'default', 'types'],
    },
  },
};
