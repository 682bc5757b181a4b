// Which source file each generated type is read from (paths inside the two snapshots).
export interface SourceFile {
  repo: 'referencesource' | 'newtonsoft';
  path: string;
  /** full names as the table writes them ('System.Collections.Generic.List<T>') */
  types: readonly string[];
}

export const SOURCES: readonly SourceFile[] = [
  { repo: 'referencesource', path: 'mscorlib/system/object.cs', types: ['System.Object'] },
  { repo: 'referencesource', path: 'mscorlib/system/string.cs', types: ['System.String', 'System.StringSplitOptions'] },
  { repo: 'referencesource', path: 'mscorlib/system/char.cs', types: ['System.Char'] },
  { repo: 'referencesource', path: 'mscorlib/system/int32.cs', types: ['System.Int32'] },
  { repo: 'referencesource', path: 'mscorlib/system/boolean.cs', types: ['System.Boolean'] },
  { repo: 'referencesource', path: 'mscorlib/system/datetime.cs', types: ['System.DateTime'] },
  { repo: 'referencesource', path: 'System.Core/System/Linq/Enumerable.cs', types: ['System.Linq.Enumerable'] },
];
