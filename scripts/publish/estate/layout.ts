/**
 * The folder and file names of Azure/apiops's artifact layout, the policy-related part only.
 * Every name below is read from the APIOps source (snapshot c248e0b, src/common/):
 * - `policy.xml` at the service (or workspace) root: ServicePolicy.cs — the policy file is
 *   `{name}.xml` in the service directory, and a service's one policy is named `policy`;
 * - a child policy is `{parent collection}/{parent name}/policy.xml`, a fragment's is
 *   `policy fragments/{name}/policy.xml`: Resource.FileSystem.cs (GetPolicyFile);
 * - collection folders `apis` (Api.cs), `operations` (ApiOperation.cs), `products` (Product.cs),
 *   `policy fragments` (PolicyFragment.cs), `named values` (NamedValue.cs), `workspaces`
 *   (Workspace.cs); a child collection sits under its parent's folder (GetCollectionDirectoryInfo);
 * - information files `apiInformation.json`, `productInformation.json`,
 *   `policyFragmentInformation.json`, `namedValueInformation.json` (FileName of each resource).
 * https://github.com/Azure/apiops/tree/main/src/common — and SampleArtifacts/ in the same
 * repository shows the result (e.g. `apis/revisioned-api;rev=2/policy.xml`).
 */
export const LAYOUT = {
  policyFile: 'policy.xml',
  apis: 'apis',
  apiInformation: 'apiInformation.json',
  operations: 'operations',
  products: 'products',
  productInformation: 'productInformation.json',
  fragments: 'policy fragments',
  fragmentInformation: 'policyFragmentInformation.json',
  namedValues: 'named values',
  namedValueInformation: 'namedValueInformation.json',
  workspaces: 'workspaces',
} as const;
