/**
 * DynamoDB expressions with generated placeholders: every attribute name becomes `#n<i>` and every
 * value `:v<i>`, so no reserved word, dot or odd character reaches the expression text, and a request
 * defines exactly the placeholders its expressions use (DynamoDB refuses unused ones).
 */

/** The placeholders of one request, shared by its update and condition expressions. */
export class ExpressionPlaceholders {
  readonly names: Record<string, string> = {};
  readonly values: Record<string, unknown> = {};
  private readonly nameOf = new Map<string, string>();
  private readonly valueOf = new Map<string, string>();

  /** `#n<i>` for an attribute name; the same name gets the same placeholder. */
  name(attribute: string): string {
    if (attribute === '') throw new Error('an expression names an empty attribute');
    let placeholder = this.nameOf.get(attribute);
    if (placeholder === undefined) {
      placeholder = `#n${this.nameOf.size}`;
      this.nameOf.set(attribute, placeholder);
      this.names[placeholder] = attribute;
    }
    return placeholder;
  }

  /** `:v<i>` for a value; equal strings, numbers and Booleans share one. */
  value(value: unknown): string {
    if (value === undefined) throw new Error('an expression value is undefined');
    const key = typeof value === 'object' && value !== null ? undefined : `${typeof value}:${String(value)}`;
    const known = key === undefined ? undefined : this.valueOf.get(key);
    if (known !== undefined) return known;
    const placeholder = `:v${Object.keys(this.values).length}`;
    this.values[placeholder] = value;
    if (key !== undefined) this.valueOf.set(key, placeholder);
    return placeholder;
  }

  /** The request's ExpressionAttributeNames / Values, left out when empty (DynamoDB refuses empty maps). */
  attributes(): {
    ExpressionAttributeNames?: Record<string, string>;
    ExpressionAttributeValues?: Record<string, unknown>;
  } {
    return {
      ...(Object.keys(this.names).length > 0 ? { ExpressionAttributeNames: { ...this.names } } : {}),
      ...(Object.keys(this.values).length > 0 ? { ExpressionAttributeValues: { ...this.values } } : {}),
    };
  }
}

type Action =
  | { readonly kind: 'set'; readonly value: unknown }
  | { readonly kind: 'append'; readonly items: readonly unknown[] }
  | { readonly kind: 'remove' }
  | { readonly kind: 'add'; readonly value: number | ReadonlySet<string> | ReadonlySet<number> };

/** An UpdateExpression's SET, REMOVE and ADD actions, each on a top-level attribute. */
export class UpdateExpression {
  private readonly actions = new Map<string, Action>();

  /** SET attribute = value. */
  set(attribute: string, value: unknown): this {
    return this.put(attribute, { kind: 'set', value });
  }

  /** SET for each attribute whose value is defined. */
  setAll(attributes: Readonly<Record<string, unknown>>): this {
    for (const [attribute, value] of Object.entries(attributes)) {
      if (value !== undefined) this.set(attribute, value);
    }
    return this;
  }

  /** Appends items to a list attribute, which starts empty when missing. */
  appendToList(attribute: string, items: readonly unknown[]): this {
    return this.put(attribute, { kind: 'append', items });
  }

  remove(...attributes: readonly string[]): this {
    for (const attribute of attributes) this.put(attribute, { kind: 'remove' });
    return this;
  }

  /** ADD: a number to a number attribute, or elements to a set attribute (either created when missing). */
  add(attribute: string, value: number | ReadonlySet<string> | ReadonlySet<number>): this {
    return this.put(attribute, { kind: 'add', value });
  }

  /** Another expression with the same actions, to add to without changing this one. */
  copy(): UpdateExpression {
    const copy = new UpdateExpression();
    for (const [attribute, action] of this.actions) copy.actions.set(attribute, action);
    return copy;
  }

  /** The attributes this expression writes, in the order they were given. */
  attributes(): string[] {
    return [...this.actions.keys()];
  }

  /** The expression text, its names and values taken from `placeholders`. */
  render(placeholders: ExpressionPlaceholders): string {
    const sets: string[] = [];
    const removes: string[] = [];
    const adds: string[] = [];
    for (const [attribute, action] of this.actions) {
      const name = placeholders.name(attribute);
      if (action.kind === 'set') sets.push(`${name} = ${placeholders.value(action.value)}`);
      else if (action.kind === 'append') {
        const empty = placeholders.value([]);
        sets.push(
          `${name} = list_append(if_not_exists(${name}, ${empty}), ${placeholders.value(action.items)})`,
        );
      } else if (action.kind === 'remove') removes.push(name);
      else adds.push(`${name} ${placeholders.value(action.value)}`);
    }
    const clauses = [
      sets.length > 0 ? `SET ${sets.join(', ')}` : '',
      removes.length > 0 ? `REMOVE ${removes.join(', ')}` : '',
      adds.length > 0 ? `ADD ${adds.join(', ')}` : '',
    ].filter((clause) => clause !== '');
    if (clauses.length === 0) throw new Error('an update expression with no action');
    return clauses.join(' ');
  }

  private put(attribute: string, action: Action): this {
    if (attribute === '') throw new Error('an update expression names an empty attribute');
    if (this.actions.has(attribute)) {
      // DynamoDB refuses two actions on one path ("Two document paths overlap").
      throw new Error(`attribute ${attribute} is updated twice in one update expression`);
    }
    this.actions.set(attribute, action);
    return this;
  }
}
