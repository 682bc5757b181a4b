/** The local stack's default ports (its own module, so `apim-rls start` reads them without loading the stack). */
export const defaultPorts = Object.freeze({ gateway: 8080, issuer: 8081, functions: 7071 });
