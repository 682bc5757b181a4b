export { startGateway, localPolicies, localBackendResource, localGatewayClientId, defaultGatewayPort } from './gateway.js';
export type { Gateway, GatewayOptions, GatewayPolicy, GatewayIssuer, GatewayScope } from './gateway.js';
export { ordersApi, compileRoutes } from './routes.js';
export type { ApiDefinition, ApiOperation, RouteMatch, RouteResult, Router } from './routes.js';
export { startGatewayServer, defaultMaxBodyBytes, defaultMaxHeaderBytes, defaultMaxRequestHeaders } from './server.js';
export type { GatewayExchange, GatewayResult, GatewayServer, GatewayServerOptions, PipelineSet, PolicyPipeline } from './server.js';
export { jsonLineLog } from './log.js';
export type { GatewayLog, GatewayLogEntry } from './log.js';
