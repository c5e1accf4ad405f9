// Turns a REST request (path parameters, query string, JSON body) into GraphQL variables for the
// route's field, before Sofa runs. Sofa on its own ignores unknown keys, drops explicit nulls and
// answers type errors with an unlabelled 400 (sofa-api 0.18); here every problem becomes a 422 naming
// its field, with every bad field reported at once.
import {
  coerceInputValue,
  getNamedType,
  isEnumType,
  isInputObjectType,
  isListType,
  isNonNullType,
  type GraphQLArgument,
  type GraphQLInputType,
} from 'graphql';
import { AppError, type FieldErrors } from '../lib/errors.js';
import { label } from '../lib/casing.js';

export interface RawInput {
  params: Record<string, string>;
  /** Present for GET and DELETE: the query string. */
  query?: URLSearchParams;
  /** Present for POST and PATCH: the parsed JSON body (an object). */
  body?: Record<string, unknown>;
}

export function buildVariables(args: readonly GraphQLArgument[], raw: RawInput): Record<string, unknown> {
  // No prototype: a parameter named `toString` or `__proto__` is a field like any other (fuzz test).
  const errors: FieldErrors = Object.create(null);
  const add = (field: string, message: string) => (errors[field] ??= []).push(message);
  const byName = new Map(args.map((a) => [a.name, a]));
  const values: Record<string, unknown> = {};

  for (const [k, v] of Object.entries(raw.params)) values[k] = v;

  if (raw.query) {
    for (const key of new Set(raw.query.keys())) {
      const arg = byName.get(key);
      if (!arg || Object.hasOwn(raw.params, key)) {
        add(key, 'Unknown parameter');
        continue;
      }
      const all = raw.query.getAll(key);
      const parsed = fromQueryString(all, arg.type);
      if (parsed.error) add(key, `${label(key)} ${parsed.error}`);
      else values[key] = parsed.value;
    }
  }
  if (raw.body) {
    for (const [key, v] of Object.entries(raw.body)) {
      if (!byName.has(key) || Object.hasOwn(raw.params, key)) add(key, 'Unknown field');
      else values[key] = v;
    }
  }

  const variables: Record<string, unknown> = {};
  for (const arg of args) {
    if (errors[arg.name]) continue;
    const present = arg.name in values;
    if (!present) {
      if (isNonNullType(arg.type) && arg.defaultValue === undefined) add(arg.name, `${label(arg.name)} is required`);
      continue;
    }
    const value = values[arg.name];
    // PostgreSQL text cannot hold U+0000: refused here, by field, instead of failing in the database (fuzz test).
    const nul = Object.hasOwn(raw.params, arg.name) ? undefined : nulPath(value, [arg.name]);
    if (nul) {
      add(nul, 'Must not contain the NUL character (U+0000)');
      continue;
    }
    if (value === null && isNonNullType(arg.type)) {
      add(arg.name, `${label(arg.name)} cannot be null`);
      continue;
    }
    variables[arg.name] = coerceInputValue(value, arg.type, (path, invalid, error) => {
      // graphql-js reports an unknown input-object key at the object's path; name the key itself.
      const unknownKey = /^Field "([^"]+)" is not defined by type/.exec(error.message)?.[1];
      const field = [arg.name, ...path, ...(unknownKey ? [unknownKey] : [])].join('.');
      add(field, friendly(field, invalid, error.message, arg.type));
    });
  }
  if (Object.keys(errors).length) throw AppError.validation(errors);
  return variables;
}

/** The path of the first string (value or key) holding U+0000, if any. */
function nulPath(v: unknown, path: string[]): string | undefined {
  if (typeof v === 'string') return v.includes('\u0000') ? path.join('.') : undefined;
  if (v && typeof v === 'object') {
    for (const [k, x] of Object.entries(v)) {
      if (k.includes('\u0000')) return [...path, k.replaceAll('\u0000', '\\u0000')].join('.');
      const found = nulPath(x, [...path, k]);
      if (found) return found;
    }
  }
  return undefined;
}

function friendly(field: string, invalid: unknown, message: string, type: GraphQLInputType): string {
  const named = getNamedType(type);
  const name = label(field.split('.').pop()!);
  if (isEnumType(named) && typeof invalid === 'string') {
    return `${name} must be one of: ${named
      .getValues()
      .map((v) => v.value as string)
      .join(', ')}`;
  }
  if (/^Field ".*" is not defined by type/.test(message)) return 'Unknown field';
  if (/non-nullable|required type/.test(message)) return `${name} is required`;
  switch (named.name) {
    case 'Int':
      return `${name} must be an integer`;
    case 'String':
    case 'ID':
      return `${name} must be a string`;
    case 'Boolean':
      return `${name} must be true or false`;
    case 'JSONObject':
      return `${name} must be a JSON object`;
    default:
      return `${name} is invalid`;
  }
}

/** Query strings carry text; turn it into the JSON value the argument's type expects. */
function fromQueryString(all: string[], type: GraphQLInputType): { value?: unknown; error?: string } {
  const inner = isNonNullType(type) ? type.ofType : type;
  if (isListType(inner)) {
    const items = all.flatMap((s) => s.split(',')).filter((s) => s !== '');
    const out: unknown[] = [];
    for (const item of items) {
      const r = scalarFromString(item, inner.ofType);
      if (r.error) return r;
      out.push(r.value);
    }
    return { value: out };
  }
  if (all.length > 1) return { error: 'must be given once' };
  return scalarFromString(all[0], inner);
}

function scalarFromString(s: string, type: GraphQLInputType): { value?: unknown; error?: string } {
  const named = getNamedType(type);
  if (isInputObjectType(named)) return { error: 'cannot be given in the query string' };
  switch (named.name) {
    case 'Int':
      return /^[+-]?\d{1,10}$/.test(s.trim()) ? { value: Number(s) } : { error: 'must be an integer' };
    case 'Float':
      return s.trim() !== '' && Number.isFinite(Number(s)) ? { value: Number(s) } : { error: 'must be a number' };
    case 'Boolean':
      return s === 'true' || s === 'false' ? { value: s === 'true' } : { error: 'must be true or false' };
    default:
      return { value: s };
  }
}
