/**
 * `set-backend-service`: route to another backend by URL or by backend entity id.
 * Reference: https://learn.microsoft.com/azure/api-management/set-backend-service-policy
 */
import type { ElementSpec } from '../model/schema.js';
import { makeElement } from '../model/element.js';
import type { EnumValue, Text } from '../model/values.js';

interface ServiceFabricOptions {
  sfPartitionKey?: Text;
  sfReplicaType?: EnumValue<'primary' | 'secondary'>;
  sfResolveCondition?: Text;
  sfServiceInstanceName?: Text;
  sfListenerName?: Text;
}

interface DaprOptions {
  daprAppId?: Text;
  daprMethod?: Text;
  daprNamespace?: Text;
}

/** Exactly one of baseUrl and backendId. */
export type SetBackendServiceOptions =
  | ({ baseUrl: Text; backendId?: never } & { [K in keyof ServiceFabricOptions | keyof DaprOptions]?: never })
  | ({ backendId: Text; baseUrl?: never } & ServiceFabricOptions & DaprOptions);

export type SetBackendService = { kind: 'set-backend-service' } & SetBackendServiceOptions;

export const setBackendServiceSpec: ElementSpec = {
  name: 'set-backend-service',
  attrs: [
    { key: 'baseUrl', xml: 'base-url', type: 'text' },
    { key: 'backendId', xml: 'backend-id', type: 'text' },
    { key: 'sfPartitionKey', xml: 'sf-partition-key', type: 'text' },
    { key: 'sfReplicaType', xml: 'sf-replica-type', type: { enum: ['primary', 'secondary'] } },
    { key: 'sfResolveCondition', xml: 'sf-resolve-condition', type: 'text' },
    { key: 'sfServiceInstanceName', xml: 'sf-service-instance-name', type: 'text' },
    { key: 'sfListenerName', xml: 'sf-listener-name', type: 'text' },
    { key: 'daprAppId', xml: 'dapr-app-id', type: 'text' },
    { key: 'daprMethod', xml: 'dapr-method', type: 'text' },
    { key: 'daprNamespace', xml: 'dapr-namespace', type: 'text' },
  ],
  children: [],
  check: (m) => {
    if ((m.baseUrl === undefined) === (m.backendId === undefined)) return 'exactly one of baseUrl and backendId is required';
    if (m.baseUrl !== undefined && Object.keys(m).some((k) => k.startsWith('sf') || k.startsWith('dapr'))) return 'Service Fabric and Dapr attributes need backendId';
    return undefined;
  },
};

export function setBackendService(options: SetBackendServiceOptions): SetBackendService {
  return makeElement<SetBackendService>(setBackendServiceSpec, options);
}
