import { describe, test } from 'node:test'
import assert from 'node:assert/strict'
import { parseEnvFile } from '../../src/config/envfile.js'

const ENV: Record<string, string> = { SHELL_VAR: 'from-shell', OPTION_A: '5' }
const parse = (text: string, env: Record<string, string> = ENV) => parseEnvFile(text, (k) => env[k])

describe('env files, Compose format', () => {
  const values: [string, string, Record<string, string>][] = [
    ['a # after a space starts a comment', 'A=abc # comment\n', { A: 'abc' }],
    ['a # inside a word does not', 'PASS=abc#123\n', { PASS: 'abc#123' }],
    ['export prefix', 'export A=1\n\texport B=2', { A: '1', B: '2' }],
    ['YAML style', 'A: 1', { A: '1' }],
    ['single quotes are literal', "A='$SHELL_VAR \\n'\nB='Let\\'s go!'", { A: '$SHELL_VAR \\n', B: "Let's go!" }],
    ['double-quote escapes', 'A="a\\tb\\\\c\\"d\\ne"', { A: 'a\tb\\c"d\ne' }],
    ['octal, and escapes Compose does not know stay', 'A="\\0123 \\x07 \\u12e4 \\ b"', { A: 'S \\x07 \\u12e4 \\ b' }],
    ['unquoted values keep backslashes', 'A=a\\tb', { A: 'a\\tb' }],
    ['a value over several lines', 'A="one\ntwo"\nB=3', { A: 'one\ntwo', B: '3' }],
    ['expansion from earlier lines', 'A=1\nB=${A}_$A\nC="${NOPE:-d}"', { A: '1', B: '1_1', C: 'd' }],
    ['the environment comes first in expansion, the file keeps its own value', 'OPTION_A=1\nB=${OPTION_A}', { OPTION_A: '1', B: '5' }],
    ['\\$ and $$ are a literal $', 'A="\\$SHELL_VAR"\nB=$$SHELL_VAR', { A: '$SHELL_VAR', B: '$SHELL_VAR' }],
    ['a bare NAME is taken from the environment, or left out', 'SHELL_VAR\nNOT_SET\nA=1\n', { SHELL_VAR: 'from-shell', A: '1' }],
    ['a BOM and CRLF line ends', '\ufeffA=1\r\nB=2\r\n', { A: '1', B: '2' }],
    ['names with dots, dashes and brackets', 'a.b=1\nc-d=2\ne[1]=3', { 'a.b': '1', 'c-d': '2', 'e[1]': '3' }],
    ['a comment after a quoted value', 'A="x#y" # c\nB=\'z\'#c', { A: 'x#y', B: 'z' }],
  ]
  for (const [name, text, want] of values) {
    test(name, () => {
      const r = parse(text)
      assert.deepEqual(r.issues, [])
      assert.deepEqual(r.vars, want)
    })
  }

  const errors: [string, string, number, RegExp][] = [
    ['an unterminated double quote', 'A=1\nB="abc\nC=2', 2, /B: unterminated quoted value/],
    ['an unterminated single quote', "A='abc\\'", 1, /unterminated quoted value/],
    ['a name with a space', '# c\nfoo="\n  multi\n"\nINVALID LINE\nzot=qix', 5, /contains a space/],
    ['a character a name cannot have', 'lol$wut', 1, /unexpected character "\$"/],
    ['a required variable', 'A=${NOPE:?set NOPE}', 1, /A: NOPE is not set: set NOPE/],
  ]
  for (const [name, text, line, message] of errors) {
    test(`${name}: an issue at its line`, () => {
      const r = parse(text)
      assert.equal(r.issues.length, 1, JSON.stringify(r))
      assert.equal(r.issues[0].line, line)
      assert.match(r.issues[0].message, message)
    })
  }

  test('an error never quotes a secret-looking value', () => {
    const r = parse('DB_PASSWORD=hunter2${oops\n')
    assert.equal(r.issues.length, 1)
    assert.doesNotMatch(r.issues[0].message, /hunter2/)
  })
})
