import { test, describe } from 'node:test'
import assert from 'node:assert/strict'
import { interpolate, type InterpolationContext } from '../../src/config/interpolate.js'

/** Variables every case sees: SET has a value, EMPTY is set to '', UNSET is not set at all. */
const VARS: Record<string, string> = { SET: 'x', EMPTY: '', B: 'b', API_KEY: 'k3y' }

/** Services every case sees: db has a port, worker has none. */
function context(overrides: Partial<InterpolationContext> = {}): InterpolationContext {
  return {
    variable: (name) => VARS[name],
    service: (name, attr) => {
      if (name === 'db') return attr === 'url' ? { value: 'mongodb://127.0.0.1:27017' } : attr === 'port' ? { value: '27017' } : { message: `unknown attribute '${attr}'` }
      if (name === 'worker') return { message: `service 'worker' has no port`, hint: "add port: to 'worker'" }
      return { message: `names unknown service '${name}'` }
    },
    ...overrides,
  }
}

interface Case {
  name: string
  input: string
  value: string
  /** Each issue as `index: message fragment`. */
  issues?: string[]
  requireVariables?: boolean
}

const CASES: Case[] = [
  { name: 'plain text is unchanged', input: 'uvicorn app:app', value: 'uvicorn app:app' },
  { name: '${VAR}', input: '${SET}', value: 'x' },
  { name: '${VAR} inside text', input: 'a-${SET}-b', value: 'a-x-b' },
  { name: '${VAR} unset is empty, as in Compose', input: '[${UNSET}]', value: '[]' },
  { name: '${VAR:-d} set', input: '${SET:-d}', value: 'x' },
  { name: '${VAR:-d} unset', input: '${UNSET:-d}', value: 'd' },
  { name: '${VAR:-d} empty takes the default', input: '${EMPTY:-d}', value: 'd' },
  { name: '${VAR-d} unset', input: '${UNSET-d}', value: 'd' },
  { name: '${VAR-d} empty stays empty', input: '[${EMPTY-d}]', value: '[]' },
  { name: '${VAR:-} with an empty default', input: '[${UNSET:-}]', value: '[]' },
  { name: 'a default with spaces and colons', input: '${UNSET:-http://h:1/a b}', value: 'http://h:1/a b' },
  { name: '${VAR:?m} set', input: '${SET:?m}', value: 'x' },
  { name: '${VAR:?m} unset', input: 'key=${UNSET:?set UNSET in .env}', value: 'key=', issues: ['4: UNSET is not set: set UNSET in .env'] },
  { name: '${VAR:?m} empty', input: '${EMPTY:?must not be empty}', value: '', issues: ['0: EMPTY is not set: must not be empty'] },
  { name: '${VAR:?} without a message', input: '${UNSET:?}', value: '', issues: ['0: UNSET is not set'] },
  { name: '${VAR?m} empty is fine', input: '[${EMPTY?m}]', value: '[]' },
  { name: '${VAR?m} unset', input: '${UNSET?m}', value: '', issues: ['0: UNSET is not set: m'] },
  { name: '${VAR:?m} unset, not required here', input: '${UNSET:?m}', value: '', requireVariables: false },
  { name: '$$ is a literal $', input: 'costs $$5', value: 'costs $5' },
  { name: '$${VAR} is not interpolated', input: '$${SET}', value: '${SET}' },
  { name: '$$$$ is two dollars', input: '$$$$', value: '$$' },
  { name: '$$ then a reference', input: '$$${SET}', value: '$x' },
  { name: 'a bare $NAME interpolates, as in Compose; $1 is not a name', input: 'echo $SET $1 $UNSET.', value: 'echo x $1 .' },
  { name: '$$NAME passes $NAME to a shell', input: 'echo $$HOME', value: 'echo $HOME' },
  { name: 'braces in a default', input: 'ok ${UNSET:-{"json":1}}', value: 'ok {"json":1}' },
  { name: 'braces in an unused default', input: 'ok ${SET:-{"json":1}}', value: 'ok x' },
  { name: 'braces around a reference', input: '{{{ ${SET:-d} }}}', value: '{{{ x }}}' },
  { name: '${VAR:+v} set', input: '${SET:+v}', value: 'v' },
  { name: '${VAR:+v} empty', input: '[${EMPTY:+v}]', value: '[]' },
  { name: '${VAR+v} empty', input: '${EMPTY+v}', value: 'v' },
  { name: '${VAR+v} unset', input: '[${UNSET+v}]', value: '[]' },
  { name: 'the first operator wins', input: '${UNSET-a:?b}', value: 'a:?b' },
  { name: 'a name may be lower case', input: '$set-${set}', value: '-' },
  { name: 'a trailing $ is kept', input: 'price$', value: 'price$' },
  { name: 'nested default, inner set', input: '${UNSET:-${B:-c}}', value: 'b' },
  { name: 'nested default, inner unset', input: '${UNSET:-${UNSET2:-c}}', value: 'c' },
  { name: 'nested default, outer set', input: '${SET:-${B}}', value: 'x' },
  { name: 'a default with $$', input: '${UNSET:-$$HOME}', value: '$HOME' },
  { name: 'a required variable inside a default is located at its own ${', input: 'a ${UNSET:-${UNSET2:?m}}', value: 'a ', issues: ['11: UNSET2 is not set: m'] },
  { name: 'a message may refer to variables', input: '${UNSET:?${SET} is needed}', value: '', issues: ['0: UNSET is not set: x is needed'] },
  { name: 'unterminated ${', input: 'run --port ${PORT', value: 'run --port ${PORT', issues: ["11: unterminated '${'"] },
  { name: 'unterminated nested ${', input: '${A:-${B}', value: '${A:-${B}', issues: ["0: unterminated '${'"] },
  { name: 'an empty reference', input: '${}', value: '', issues: ['0: is not a valid variable reference'] },
  { name: 'a name starting with a digit', input: '${1A}', value: '', issues: ['0: is not a valid variable reference'] },
  { name: 'an unsupported operator', input: '${SET/a/b}', value: '', issues: ['0: is not a valid variable reference'] },
  { name: 'a space before the name', input: '${ SET}', value: '', issues: ['0: is not a valid variable reference'] },
  { name: 'a reference never closed on its line', input: 'a ${SET:-x\n}', value: 'a ${SET:-x\n}', issues: ["2: unterminated '${'"] },
  { name: 'text after the name', input: '${SET x}', value: '', issues: ['0: is not a valid variable reference'] },
  { name: 'two references, two issues', input: '${UNSET:?a}/${UNSET2:?b}', value: '/', issues: ['0: UNSET is not set: a', '12: UNSET2 is not set: b'] },
  { name: '${services.NAME.url}', input: '${services.db.url}/jobs', value: 'mongodb://127.0.0.1:27017/jobs' },
  { name: '${services.NAME.port} inside text', input: '--port=${services.db.port}', value: '--port=27017' },
  { name: '${services.NAME.ATTR} unknown service', input: 'x ${services.dbb.url}', value: 'x ', issues: ["2: names unknown service 'dbb'"] },
  { name: '${services.NAME.ATTR} unknown attribute', input: '${services.db.hots}', value: '', issues: ["0: unknown attribute 'hots'"] },
  { name: '${services.NAME.ATTR} without a port', input: '${services.worker.url}', value: '', issues: ["0: service 'worker' has no port"] },
  { name: '${services.NAME} without ATTR', input: '${services.db}', value: '', issues: ['0: must be ${services.NAME.ATTR}'] },
  { name: '${services.NAME.ATTR.more}', input: '${services.db.url.x}', value: '', issues: ['0: must be ${services.NAME.ATTR}'] },
  { name: '$${services...} is literal', input: '$${services.db.url}', value: '${services.db.url}' },
]

describe('interpolate', () => {
  for (const c of CASES) {
    test(c.name, () => {
      const r = interpolate(c.input, context(c.requireVariables === undefined ? {} : { requireVariables: c.requireVariables }))
      assert.equal(r.value, c.value)
      const expected = c.issues ?? []
      assert.equal(r.issues.length, expected.length, `issues: ${JSON.stringify(r.issues)}`)
      expected.forEach((e, i) => {
        const [index, fragment] = [Number(e.slice(0, e.indexOf(':'))), e.slice(e.indexOf(':') + 2)]
        assert.equal(r.issues[i].index, index, `issue ${i} index`)
        assert.ok(r.issues[i].message.includes(fragment), `issue ${i}: ${JSON.stringify(r.issues[i].message)} should include ${JSON.stringify(fragment)}`)
      })
    })
  }

  test('messages quote through the context, so secrets can be masked', () => {
    const r = interpolate('postgres://u:pw@h/db ${UNCLOSED', context({ quote: () => '<masked>' }))
    assert.equal(r.issues[0].message, "unterminated '${' in <masked>")
  })

  test('issues carry the service hint', () => {
    assert.equal(interpolate('${services.worker.url}', context()).issues[0].hint, "add port: to 'worker'")
  })

  test('every variable read is reported, so secrets can be masked', () => {
    const read: string[] = []
    interpolate('${API_KEY} ${UNSET:-${SET}} $${B}', context({ onVariable: (name, value) => read.push(`${name}=${value}`) }))
    assert.deepEqual(read, ['API_KEY=k3y', 'SET=x'])
  })
})
