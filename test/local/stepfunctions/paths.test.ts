import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { StatesError } from '../../../local/stepfunctions/errors.ts';
import { evaluateCall, parseIntrinsic } from '../../../local/stepfunctions/intrinsics.ts';
import type { Json } from '../../../local/stepfunctions/json.ts';
import { queryPath, setPath } from '../../../local/stepfunctions/jsonpath.ts';
import { applyTemplate } from '../../../local/stepfunctions/payload.ts';

const noPaths = (path: string): Json => {
  throw new Error(`unexpected path ${path}`);
};
const call = (text: string, data: Json = {}): Json =>
  evaluateCall(parseIntrinsic(text), (p) => {
    const r = queryPath(p, data, {});
    return r.found ? r.value : noPaths(p);
  });

describe('JSONPath', () => {
  const data: Json = {
    store: {
      book: [
        { title: 'A', price: 8 },
        { title: 'B', price: 12, isbn: 'x' },
        { title: 'C', price: 5 },
      ],
    },
    'odd key': 1,
  };

  it('selects definite paths to one value and indefinite paths to arrays of matches', () => {
    expect(queryPath('$.store.book[1].title', data, {})).toEqual({ found: true, value: 'B' });
    expect(queryPath("$['odd key']", data, {})).toEqual({ found: true, value: 1 });
    expect(queryPath('$.store.book[-1].title', data, {})).toEqual({ found: true, value: 'C' });
    expect(queryPath('$.store.book[*].title', data, {})).toEqual({ found: true, value: ['A', 'B', 'C'] });
    expect(queryPath('$..price', data, {})).toEqual({ found: true, value: [8, 12, 5] });
    expect(queryPath('$.store.book[0:2].price', data, {})).toEqual({ found: true, value: [8, 12] });
    expect(queryPath('$.store.book[?(@.price < 10)].title', data, {})).toEqual({
      found: true,
      value: ['A', 'C'],
    });
    expect(queryPath('$.store.book[?(@.isbn)].title', data, {})).toEqual({ found: true, value: ['B'] });
    expect(queryPath('$.store.missing', data, {})).toEqual({ found: false });
    expect(queryPath('$$.Execution.Id', data, { Execution: { Id: 'arn' } })).toEqual({
      found: true,
      value: 'arn',
    });
  });

  it('filters with && binding tighter than ||', () => {
    // Act
    const both = queryPath('$.store.book[?(@.price < 10 && @.price > 6)].title', data, {});
    const either = queryPath('$.store.book[?(@.price < 6 || @.isbn && @.price > 100)].title', data, {});
    // Assess
    expect(both).toEqual({ found: true, value: ['A'] });
    expect(either).toEqual({ found: true, value: ['C'] });
  });

  it('finds any value at the path of keys that leads to it (property)', () => {
    const key = fc.string({ minLength: 1, maxLength: 8 }).filter((k) => /^[A-Za-z_][A-Za-z0-9_]*$/.test(k));
    fc.assert(
      fc.property(fc.array(key, { minLength: 1, maxLength: 5 }), fc.jsonValue(), (keys, leaf) => {
        const value: Json = JSON.parse(JSON.stringify(leaf ?? null));
        const doc = keys.reduceRight<Json>((inner, k) => ({ [k]: inner }), value);
        const dotted = queryPath(`$.${keys.join('.')}`, doc, {});
        const bracketed = queryPath(`$${keys.map((k) => `['${k}']`).join('')}`, doc, {});
        return (
          JSON.stringify(dotted) === JSON.stringify({ found: true, value }) &&
          JSON.stringify(bracketed) === JSON.stringify(dotted)
        );
      }),
    );
  });

  it('ResultPath places a value where a later query finds it and never mutates the input (property)', () => {
    const key = fc.constantFrom('a', 'b', 'c', 'result');
    const other = fc.constantFrom('x', 'y', 'z');
    fc.assert(
      fc.property(
        fc.dictionary(other, fc.jsonValue()),
        fc.array(key, { minLength: 1, maxLength: 3 }),
        fc.integer(),
        (raw, keys, v) => {
          const input: Json = JSON.parse(JSON.stringify(raw));
          const before = JSON.stringify(input);
          const path = `$.${keys.join('.')}`;
          const out = setPath(input, path, v);
          const found = queryPath(path, out, {});
          const kept = Object.keys(raw).every(
            (k) =>
              JSON.stringify(queryPath(`$.${k}`, out, {})) === JSON.stringify(queryPath(`$.${k}`, input, {})),
          );
          return found.found && found.value === v && kept && JSON.stringify(input) === before;
        },
      ),
    );
  });

  it('refuses a ResultPath into a non-object with States.ResultPathMatchFailure', () => {
    expect(() => setPath({ a: 1 }, '$.a.b', 2)).toThrow(StatesError);
    try {
      setPath({ a: 1 }, '$.a.b', 2);
    } catch (error) {
      expect(error instanceof StatesError && error.error).toBe('States.ResultPathMatchFailure');
    }
  });
});

// Known answers from the intrinsic functions' documented examples.
describe('intrinsic functions', () => {
  it('computes the array intrinsics', () => {
    expect(call('States.Array($.Id)', { Id: 123456 })).toEqual([123456]);
    expect(call('States.ArrayPartition($.a, 4)', { a: [1, 2, 3, 4, 5, 6, 7, 8, 9] })).toEqual([
      [1, 2, 3, 4],
      [5, 6, 7, 8],
      [9],
    ]);
    expect(call('States.ArrayContains($.a, $.v)', { a: [1, 2, 3], v: 3 })).toBe(true);
    expect(call('States.ArrayRange(1, 9, 2)')).toEqual([1, 3, 5, 7, 9]);
    expect(call('States.ArrayGetItem($.a, 5)', { a: [1, 2, 3, 4, 5, 6, 7, 8, 9] })).toBe(6);
    expect(call('States.ArrayLength($.a)', { a: [1, 2, 3] })).toBe(3);
    expect(call('States.ArrayUnique($.a)', { a: [1, 2, 3, 3, 3, 3, 3, 3, 4] })).toEqual([1, 2, 3, 4]);
  });

  it('computes encoding, hashing, JSON, math, string and format intrinsics', () => {
    expect(call("States.Base64Encode('Data to encode')")).toBe('RGF0YSB0byBlbmNvZGU=');
    expect(call("States.Base64Decode('RGVjb2RlZCBkYXRh')")).toBe('Decoded data');
    expect(call("States.Hash('input data', 'SHA-1')")).toBe('aaff4a450a104cd177d28d18d74485e8cae074b7');
    expect(
      call('States.JsonMerge($.a, $.b, false)', { a: { x: 1, y: { p: 1 } }, b: { y: { q: 2 } } }),
    ).toEqual({ x: 1, y: { q: 2 } });
    expect(call('States.StringToJson(\'{"n":1}\')')).toEqual({ n: 1 });
    expect(call('States.JsonToString($.o)', { o: { a: [1, 'b'] } })).toBe('{"a":[1,"b"]}');
    expect(call('States.MathAdd($.v, -1)', { v: 111 })).toBe(110);
    expect(call("States.StringSplit('1,2,3,4,5', ',')")).toEqual(['1', '2', '3', '4', '5']);
    expect(
      call("States.Format('Hello, my name is {}. I am {} and \\{literal\\}', $.name, $.age)", {
        name: 'Arnav',
        age: 3,
      }),
    ).toBe('Hello, my name is Arnav. I am 3 and {literal}');
    expect(String(call('States.UUID()'))).toMatch(/^[0-9a-f-]{36}$/);
    const r = call('States.MathRandom(1, 10)');
    expect(typeof r === 'number' && r >= 1 && r < 10).toBe(true);
  });

  it('nests intrinsics, as in the documentation example (with a template matching its two arguments)', () => {
    const data = { ImageRecipe: { Arn: 'arn:aws:imagebuilder:us-east-1:123:image-recipe/name.v1.2/1.0.0' } };
    const text =
      "States.Format('{}.{}', States.ArrayGetItem(States.StringSplit(States.ArrayGetItem(States.StringSplit($.ImageRecipe.Arn, '/'), 2), '.'), 0), States.ArrayGetItem(States.StringSplit(States.ArrayGetItem(States.StringSplit($.ImageRecipe.Arn, '/'), 2), '.'), 1))";
    expect(call(text, data)).toBe('1.0');
  });

  it('fails with a named States error on bad arguments', () => {
    expect(() => call("States.MathAdd('a', 1)")).toThrow(/MathAdd/);
    expect(() => call('States.ArrayGetItem($.a, 9)', { a: [1] })).toThrow(/out of bounds/);
    expect(() => call('States.Nope(1)')).toThrow(/Unknown intrinsic/);
  });

  it('payload templates resolve .$ keys, variables, the context and nested arrays', () => {
    const out = applyTemplate(
      { 'a.$': '$.x', list: [{ 'b.$': '$v.k' }], 'c.$': '$$.State.Name', fixed: 'lit' },
      { x: 1 },
      { context: { State: { Name: 'S' } }, variables: { v: { k: 'var' } } },
      'Parameters',
    );
    expect(out).toEqual({ a: 1, list: [{ b: 'var' }], c: 'S', fixed: 'lit' });
  });
});
