import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  fromAttributeMap,
  getDocument,
  putDocument,
  updateDocument,
} from '../../functions/shared/document-commands.ts';
import { ExpressionPlaceholders, UpdateExpression } from '../../functions/shared/update-expression.ts';
import { useKeyedTable } from './dynalite.ts';
import { topLevelParts } from './expression-text.ts';

type Given =
  | { kind: 'set'; value: unknown }
  | { kind: 'append'; items: unknown[] }
  | { kind: 'remove' }
  | { kind: 'add'; value: number };

/** Attribute names of any shape, reserved words and expression syntax included. */
const attributeName = fc.oneof(
  fc.string({ minLength: 1, maxLength: 12 }),
  fc.constantFrom('status', 'name', 'SET', 'REMOVE', 'a.b', 'c[0]', '#n0', ':v0', 'x = y', 'size'),
);
const plainValue = fc.oneof(
  fc.string({ maxLength: 8 }),
  fc.integer({ min: -1000, max: 1000 }),
  fc.boolean(),
  fc.array(fc.string({ maxLength: 4 }), { maxLength: 3 }),
  fc.dictionary(fc.string({ minLength: 1, maxLength: 4 }), fc.integer(), { maxKeys: 3 }),
);
const action: fc.Arbitrary<Given> = fc.oneof(
  fc.record({ kind: fc.constant('set' as const), value: plainValue }),
  fc.record({ kind: fc.constant('append' as const), items: fc.array(plainValue, { maxLength: 3 }) }),
  fc.record({ kind: fc.constant('remove' as const) }),
  fc.record({ kind: fc.constant('add' as const), value: fc.integer({ min: -50, max: 50 }) }),
);
/** A non-empty list of actions on distinct attributes. */
const actions = fc.uniqueArray(fc.tuple(attributeName, action), {
  minLength: 1,
  maxLength: 8,
  selector: ([name]) => name,
});

function build(given: readonly [string, Given][]): UpdateExpression {
  const update = new UpdateExpression();
  for (const [name, a] of given) {
    if (a.kind === 'set') update.set(name, a.value);
    else if (a.kind === 'append') update.appendToList(name, a.items);
    else if (a.kind === 'remove') update.remove(name);
    else update.add(name, a.value);
  }
  return update;
}

/** Reads a rendered expression back into actions, names and values resolved. */
function readBack(text: string, p: ExpressionPlaceholders): [string, Given][] {
  const out: [string, Given][] = [];
  const clauses = text.split(/ ?\b(SET|REMOVE|ADD) /).slice(1);
  const name = (placeholder: string): string => {
    const resolved = p.names[placeholder];
    if (resolved === undefined) throw new Error(`undefined name ${placeholder}`);
    return resolved;
  };
  const value = (placeholder: string): unknown => {
    if (!(placeholder in p.values)) throw new Error(`undefined value ${placeholder}`);
    return p.values[placeholder];
  };
  for (let i = 0; i < clauses.length; i += 2) {
    for (const part of topLevelParts(clauses[i + 1] ?? '')) {
      if (clauses[i] === 'REMOVE') out.push([name(part), { kind: 'remove' }]);
      else if (clauses[i] === 'ADD') {
        const [n = '', v = ''] = part.split(' ');
        out.push([name(n), { kind: 'add', value: value(v) as number }]);
      } else {
        const [n = '', rhs = ''] = part.split(' = ');
        const append = /^list_append\(if_not_exists\((#n\d+), (:v\d+)\), (:v\d+)\)$/.exec(rhs);
        if (append) {
          expect(append[1]).toBe(n);
          expect(value(append[2] ?? '')).toEqual([]);
          out.push([name(n), { kind: 'append', items: value(append[3] ?? '') as unknown[] }]);
        } else out.push([name(n), { kind: 'set', value: value(rhs) }]);
      }
    }
  }
  return out;
}

describe('UpdateExpression (properties)', () => {
  it('renders exactly the given actions, through placeholders that are all defined and all used', () => {
    fc.assert(
      fc.property(actions, (given) => {
        // Act
        const p = new ExpressionPlaceholders();
        const text = build(given).render(p);
        // Assess
        const byName = (list: [string, Given][]) =>
          [...list].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
        expect(byName(readBack(text, p))).toEqual(byName(given));
        const used = new Set(text.match(/[#:][nv]\d+/g));
        expect(new Set([...Object.keys(p.names), ...Object.keys(p.values)])).toEqual(used);
        // Only placeholders, keywords and functions: no attribute name reaches the text raw.
        expect(text.replace(/[#:][nv]\d+|SET|REMOVE|ADD|list_append|if_not_exists|[(), =]/g, '')).toBe('');
      }),
    );
  });

  it('refuses an attribute given two actions, naming it', () => {
    fc.assert(
      fc.property(attributeName, action, action, (name, first, second) => {
        // Act
        const attempt = () =>
          build([
            [name, first],
            [name, second],
          ]);
        // Assess
        expect(attempt).toThrow(`attribute ${name} is updated twice`);
      }),
    );
  });

  it('shares a placeholder between equal plain values and between uses of one name', () => {
    fc.assert(
      fc.property(attributeName, fc.oneof(fc.string(), fc.integer(), fc.boolean()), (name, value) => {
        // Act
        const p = new ExpressionPlaceholders();
        // Assess
        expect(p.name(name)).toBe(p.name(name));
        expect(p.value(value)).toBe(p.value(value));
        expect(Object.keys(p.names)).toHaveLength(1);
        expect(Object.keys(p.values)).toHaveLength(1);
      }),
    );
  });

  it('refuses an empty expression and an empty attribute name', () => {
    expect(() => new UpdateExpression().render(new ExpressionPlaceholders())).toThrow('no action');
    expect(() => new UpdateExpression().set('', 1)).toThrow('empty attribute');
  });
});

describe('UpdateExpression against the local DynamoDB (properties)', () => {
  const TABLE = 'update-expression';
  const table = useKeyedTable(TABLE, 'id');

  /** What the actions make of an item, by DynamoDB's documented semantics. */
  function model(item: Record<string, unknown>, given: readonly [string, Given][]): Record<string, unknown> {
    // A Map, so names such as `constructor` or `__proto__` are attributes like any other.
    const out = new Map(Object.entries(item));
    for (const [name, a] of given) {
      if (a.kind === 'set') out.set(name, a.value);
      else if (a.kind === 'append')
        out.set(name, [...((out.get(name) as unknown[] | undefined) ?? []), ...a.items]);
      else if (a.kind === 'remove') out.delete(name);
      else out.set(name, ((out.get(name) as number | undefined) ?? 0) + a.value);
    }
    return Object.fromEntries(out);
  }

  it('DynamoDB applies the rendered expression as the model says', async () => {
    // Existing attributes of the right types for ADD and list_append, and names apart from the key.
    // Not the key, nor names the SDK's marshall of a plain object reads as its class (`constructor`).
    const safeActions = actions.map((given) =>
      given.filter(([name]) => !['id', 'constructor', '__proto__'].includes(name)),
    );
    await fc.assert(
      fc.asyncProperty(safeActions, fc.integer({ min: 0, max: 1 }), async (given, existing) => {
        fc.pre(given.length > 0);
        // Prepare
        const entries: [string, unknown][] = [['id', 'item']];
        if (existing === 1) {
          for (const [name, a] of given) {
            entries.push([name, a.kind === 'add' ? 7 : a.kind === 'append' ? ['kept'] : 'old']);
          }
        }
        const item = Object.fromEntries(entries);
        await table.db().send(putDocument({ TableName: TABLE, Item: item }));
        const p = new ExpressionPlaceholders();
        // Act
        await table.db().send(
          updateDocument({
            TableName: TABLE,
            Key: { id: 'item' },
            UpdateExpression: build(given).render(p),
            ...p.attributes(),
          }),
        );
        const out = await table
          .db()
          .send(getDocument({ TableName: TABLE, Key: { id: 'item' }, ConsistentRead: true }));
        // Assess
        expect(fromAttributeMap(out.Item ?? {})).toEqual(model(item, given));
      }),
      { numRuns: 40 },
    );
  });
});
