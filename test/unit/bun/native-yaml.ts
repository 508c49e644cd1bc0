/**
 * Run by test/unit/native-yaml.test.ts with the project's Bun (the runtime of the release binary),
 * where Bun.YAML exists: prints, as JSON, what validateConfig reports for each file given as the
 * binary reads it and with js-yaml only, whether Bun's parser read it, and a differential check of
 * readNative against js-yaml on seeded random documents, plain and mutated.
 */
import { readFileSync } from 'node:fs'
import { basename, dirname } from 'node:path'
import { isDeepStrictEqual } from 'node:util'
import * as jsYaml from 'js-yaml'
import { validateConfig } from '../../../src/config/load.js'
import { readNative, useNativeParser } from '../../../src/config/native-yaml.js'
import { corpus } from './yaml-corpus.js'

const SCHEMA = jsYaml.CORE_SCHEMA.extend({ implicit: [(jsYaml as unknown as { types: { merge: jsYaml.Type } }).types.merge] })

/** What validate reports for a file: every problem and note, and the resolved project. */
function validate(file: string, text: string) {
  const env = /^# env: (.*)$/m.exec(text)?.[1].trim()
  const v = validateConfig({ config: basename(file), env, cwd: dirname(file) })
  return JSON.parse(JSON.stringify({ problems: v.problems, notes: v.notes, project: v.project }))
}

// Each file twice in this runtime: as the binary reads it, and with js-yaml only.
const files = process.argv.slice(2).map((file) => {
  const text = readFileSync(file, 'utf8')
  const result = validate(file, text)
  const bun = useNativeParser(undefined)
  const jsYamlOnly = validate(file, text)
  useNativeParser(bun)
  return { file, native: readNative(text) !== undefined, result, jsYamlOnly }
})

const mismatches: string[] = []
let native = 0
const docs = corpus(Number(process.env.CORPUS_SIZE ?? 4000))
for (const text of docs) {
  const data = readNative(text)
  if (data === undefined) continue
  native++
  let expected: unknown
  try {
    expected = jsYaml.load(text, { schema: SCHEMA }) ?? null
  } catch (e) {
    expected = `js-yaml refuses it: ${(e as Error).message.split('\n')[0]}`
  }
  // Key order too: it is the order services, env and operations are shown in.
  if (!isDeepStrictEqual(expected, data) || JSON.stringify(expected) !== JSON.stringify(data)) mismatches.push(`${JSON.stringify(text)}\n  js-yaml: ${JSON.stringify(expected)}\n  Bun:     ${JSON.stringify(data)}`)
}
console.log(JSON.stringify({ files, corpus: { documents: docs.length, native, mismatches } }))
