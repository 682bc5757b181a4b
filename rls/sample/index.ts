export { ordersSpec, ordersSpecInput } from './spec.js';
export { sampleSchemaSql, sampleSchemaMssql, sampleSchemaMssqlIndex, sampleTenants, sampleOrders, seedSample } from './schema.js';
export { sampleUsers, type SampleUser, type SampleUserName } from './users.js';
export { sampleCases } from './cases.js';
export { setupSampleDatabase } from './setup.js';
