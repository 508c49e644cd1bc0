/**
 * Seeded random YAML documents for comparing parsers: nested block mappings and sequences, flow
 * collections, block scalars, comments, CRLF, and every kind of scalar where YAML parsers tend to
 * differ (numbers in every notation, booleans and nulls in every spelling, escapes, quotes); then
 * the same with YAML's significant characters inserted at random, so that most are broken.
 */
const SCALARS = [
  '1', '-1', '+1', '0', '-0', '-0.0', '007', '08', '0o17', '0x1F', '1.5', '.5', '5.', '-.5', '1e3', '1E3', '1.5e-3', '.inf', '-.Inf',
  '.nan', 'NaN', 'inf', 'true', 'True', 'TRUE', 'false', 'yes', 'no', 'on', 'off', 'y', 'null', 'Null', '~', '', 'a', 'hello world',
  'a#b', 'a # c', 'http://x:80/y', 'a:b', '-x', '--flag', '12:30', '2001-12-14', '2001-12-14T21:59:43Z', '1,2', 'x y  z', '"q"',
  '"a\\tb\\u00e9\\x41\\n"', '"\\N\\_\\L\\P\\0\\a\\e\\/\\ "', "'it''s'", '"#"', '"a: b"', '[a, b]', '[]', '{}', '{a: 1, b: [x, y]}',
  '{a: {b: c}}', '[{a: 1}, {b: 2}]', '["x:y", "a,b"]', '{"a": 1}', '{"a":1}', '[a, b, ]', '{a: 1, }', '{a}', '{a, b: 1}', '[a: 1]',
  '[http://x, y]', '{url: http://x:1/}', '- x', '1_000', '0b11', '12345678901234567890', '-0.0', '+12.5', '0.', '3:25:45', '!x',
  '&a x', '*a', '@x', '%x', '|', '>', 'é', '"\\U0001F600"', '" lead"', "' trail '", '[ "a" , b ]', '{ a : 1 }', '"multi', 'x\t', '-.5', '+.5e3', '0x_1f', '0o_7', '.5_0', '"\\q"', '"\\x4"', '"\\u12"', "'a\\b'", '"a\\\\b"',
]
const KEYS = ['a', 'b', 'c', 'a b', 'x-y', 'x.y', '1', '2', 'true', 'null', '~', '1.5', '0x10', 'A', 'É', '-k', 'k_1', '1_0', 'on', 'b', '<<']
const BLOCK = ['line one', 'a: b', '  indented', '', '# not a comment', 'tail  ', '- item']
const NOISE = [':', ' ', '-', '#', '"', "'", '{', '}', '[', ']', ',', '\n', '\t', '|', '>', '&', '*', '!', '?', '%', '@', '\\', 'a', '0', ': ', '- ', '\r', '<<', '---\n']

export function corpus(n: number): string[] {
  let seed = 1
  const rnd = (k: number) => {
    seed = (seed * 1103515245 + 12345) & 0x7fffffff
    return seed % k
  }
  const pick = <T>(a: readonly T[]) => a[rnd(a.length)]
  const doc = (depth: number, ind: string): string => {
    let out = ''
    for (let i = 1 + rnd(4); i > 0; i--) {
      const r = rnd(10)
      if (r < 5 || depth > 2) out += `${ind}${pick(KEYS)}: ${pick(SCALARS)}${rnd(5) ? '' : ' # c'}\n`
      else if (r < 7) out += `${ind}${pick(KEYS)}:\n` + doc(depth + 1, ind + '  ')
      else if (r < 8) {
        out += `${ind}${pick(KEYS)}:\n`
        for (let j = 1 + rnd(3); j > 0; j--) out += rnd(2) ? `${ind}  - ${pick(SCALARS)}\n` : `${ind}  - ${pick(KEYS)}: ${pick(SCALARS)}\n${ind}    ${pick(KEYS)}: ${pick(SCALARS)}\n`
      } else {
        out += `${ind}${pick(KEYS)}: ${pick(['|', '>', '|-', '>-', '|+', '>+'])}\n`
        for (let j = 1 + rnd(3); j > 0; j--) out += `${ind}  ${pick(BLOCK)}\n`
      }
      if (!rnd(8)) out += `${ind}# comment\n`
    }
    return out
  }
  const docs: string[] = []
  for (let i = 0; i < n; i++) docs.push(rnd(10) ? doc(0, '') : doc(0, '').replace(/\n/g, '\r\n'))
  for (let i = 0; i < n; i++) {
    let t = doc(0, '')
    for (let j = 1 + rnd(3); j > 0; j--) {
      const p = rnd(t.length + 1)
      t = t.slice(0, p) + pick(NOISE) + t.slice(p + rnd(2))
    }
    docs.push(t)
  }
  return docs
}
