/** Moved to the C# front end (`policies/csharp/lexer.ts`); re-exported for the emulator. */
export * from '../../csharp/lexer.js';
