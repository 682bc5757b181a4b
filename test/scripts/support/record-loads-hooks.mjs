import { appendFileSync } from 'node:fs';

export async function resolve(specifier, context, next) {
  const result = await next(specifier, context);
  if (process.env.APIM_RLS_LOAD_LOG) appendFileSync(process.env.APIM_RLS_LOAD_LOG, `${result.url}\n`);
  return result;
}
