// Pure rules every path that turns a source person into a WordPress user shares (SCIM
// writes, scheduled pulls, peer pushes, the admin's Preview): attribute paths, the attribute
// map, templates, logins, adoption and collision recovery. No I/O, no Node-only modules: the
// admin UI bundles this folder as it is.
export * from './adoption.js';
export * from './attribute-map.js';
export * from './attribute-path.js';
export * from './filter-syntax.js';
export * from './logins.js';
export * from './recovery.js';
export * from './schedule.js';
export * from './templates.js';
