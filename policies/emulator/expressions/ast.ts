/** Moved to the C# front end (`policies/csharp/ast.ts`); re-exported for the emulator. */
export * from '../../csharp/ast.js';
