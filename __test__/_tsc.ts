// Fixtures compiled by TypeScript's own emit (not tsx), in the decorator mode
// a project chooses, and loaded as if they were files next to the source.

import { readFileSync } from 'node:fs'
import Module from 'node:module'
import path from 'node:path'

import ts from 'typescript'

/** The project's settings, with TS 5 standard decorators. */
export const STANDARD: ts.CompilerOptions = {
  target: ts.ScriptTarget.ES2022,
  module: ts.ModuleKind.CommonJS,
  moduleResolution: ts.ModuleResolutionKind.Node10,
  strict: true,
  esModuleInterop: true,
  skipLibCheck: true,
  types: ['node'],
}

/** Legacy `experimentalDecorators` with metadata: what NestJS projects compile with. */
export const LEGACY: ts.CompilerOptions = { ...STANDARD, experimentalDecorators: true, emitDecoratorMetadata: true }

/** Compiles `file` with `options` and loads it as a CommonJS module at its own path. */
export function compileAndLoad<T>(file: string, options: ts.CompilerOptions): { js: string; exports: T } {
  const js = ts.transpileModule(readFileSync(file, 'utf8'), { compilerOptions: options, fileName: file }).outputText
  const mod = new Module(file, module) as Module & { _compile(code: string, filename: string): void }
  mod.filename = file
  mod.paths = (Module as unknown as { _nodeModulePaths(dir: string): string[] })._nodeModulePaths(path.dirname(file))
  mod._compile(js, file)
  return { js, exports: mod.exports as T }
}

/** The type errors of `file` compiled with `options`. */
export function typeErrors(file: string, options: ts.CompilerOptions): string[] {
  const program = ts.createProgram([file], { ...options, noEmit: true })
  return ts.getPreEmitDiagnostics(program).map((d) => ts.flattenDiagnosticMessageText(d.messageText, '\n'))
}
