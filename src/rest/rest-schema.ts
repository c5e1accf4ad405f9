// The REST face's schema: the GraphQL schema with snake_case field and argument names, built by
// renaming types while keeping the original resolvers (no delegation through a second executor,
// which a micro-benchmark measured at ≈2.4× the cost). Sofa generates the /v1 routes from it.
//
// Projections give the REST responses the exact shapes of docs/spec/api-reference.md where GraphQL offers more
// (list items without `content`; the summary inside a conversation with only its digest fields).
import {
  GraphQLInputObjectType,
  GraphQLList,
  GraphQLNonNull,
  GraphQLObjectType,
  GraphQLSchema,
  isEnumType,
  isInputObjectType,
  isIntrospectionType,
  isListType,
  isNonNullType,
  isObjectType,
  isScalarType,
  type GraphQLFieldConfigArgumentMap,
  type GraphQLFieldConfigMap,
  type GraphQLFieldResolver,
  type GraphQLInputFieldConfigMap,
  type GraphQLInputType,
  type GraphQLNamedType,
  type GraphQLOutputType,
} from 'graphql';
import { toSnake } from '../lib/casing.js';
import type { RestShape } from './route-types.js';

export type { Projection, RestShape } from './route-types.js';

export function buildRestSchema(schema: GraphQLSchema, shape: RestShape): GraphQLSchema {
  const types = new Map<string, GraphQLNamedType>();
  const get = (name: string) => {
    const t = types.get(name);
    if (!t) throw new Error(`REST schema: unknown type ${name}`);
    return t;
  };

  const outType = (t: GraphQLOutputType, retargetTo?: string): GraphQLOutputType => {
    if (isNonNullType(t)) return new GraphQLNonNull(outType(t.ofType, retargetTo));
    if (isListType(t)) return new GraphQLList(outType(t.ofType, retargetTo));
    return get(retargetTo ?? t.name) as GraphQLOutputType;
  };
  const inType = (t: GraphQLInputType): GraphQLInputType => {
    if (isNonNullType(t)) return new GraphQLNonNull(inType(t.ofType));
    if (isListType(t)) return new GraphQLList(inType(t.ofType));
    return get(t.name) as GraphQLInputType;
  };

  const objectFields = (source: GraphQLObjectType, owner: string, pick?: string[]) => (): GraphQLFieldConfigMap<unknown, unknown> => {
    const out: GraphQLFieldConfigMap<unknown, unknown> = {};
    for (const field of Object.values(source.getFields())) {
      if (pick && !pick.includes(field.name)) continue;
      const args: GraphQLFieldConfigArgumentMap = {};
      for (const a of field.args) {
        args[toSnake(a.name)] = { type: inType(a.type), description: a.description, defaultValue: a.defaultValue };
      }
      out[toSnake(field.name)] = {
        type: outType(field.type, shape.retarget[`${owner}.${field.name}`]),
        description: field.description,
        deprecationReason: field.deprecationReason,
        args,
        resolve: keepResolver(field.name, field.resolve, field.args),
      };
    }
    return out;
  };

  for (const type of Object.values(schema.getTypeMap())) {
    if (isIntrospectionType(type) || type === schema.getSubscriptionType()) continue;
    if (isScalarType(type) || isEnumType(type)) types.set(type.name, type);
    else if (isObjectType(type)) {
      types.set(
        type.name,
        new GraphQLObjectType({ name: type.name, description: type.description, fields: objectFields(type, type.name) }),
      );
    } else if (isInputObjectType(type)) {
      types.set(
        type.name,
        new GraphQLInputObjectType({
          name: type.name,
          description: type.description,
          fields: (): GraphQLInputFieldConfigMap =>
            Object.fromEntries(
              Object.values(type.getFields()).map((f) => [
                toSnake(f.name),
                { type: inType(f.type), description: f.description, defaultValue: f.defaultValue },
              ]),
            ),
        }),
      );
    } else {
      throw new Error(`REST schema: ${type.name} (interfaces and unions) is not supported yet`);
    }
  }
  for (const [name, p] of Object.entries(shape.projections)) {
    const source = schema.getType(p.of);
    if (!isObjectType(source)) throw new Error(`REST schema: projection ${name} of unknown object ${p.of}`);
    const missing = p.fields.filter((f) => !source.getFields()[f]);
    if (missing.length) throw new Error(`REST schema: ${p.of} has no field(s) ${missing.join(', ')}`);
    types.set(name, new GraphQLObjectType({ name, description: source.description, fields: objectFields(source, name, p.fields) }));
  }

  return new GraphQLSchema({
    query: get(schema.getQueryType()!.name) as GraphQLObjectType,
    mutation: schema.getMutationType() ? (get(schema.getMutationType()!.name) as GraphQLObjectType) : undefined,
    types: [...types.values()],
  });
}

type ArgDef = { name: string; type: GraphQLInputType };

/** Wraps a resolver so it receives camelCase arguments and reads the camelCase source property. */
function keepResolver(
  name: string,
  resolve: GraphQLFieldResolver<unknown, unknown> | undefined,
  args: readonly ArgDef[],
): GraphQLFieldResolver<unknown, unknown> {
  const argNames = args.map((a) => [toSnake(a.name), a] as const);
  const toCamelArgs = (snakeArgs: Record<string, unknown>) => {
    const camel: Record<string, unknown> = {};
    for (const [snake, a] of argNames) if (snake in snakeArgs) camel[a.name] = camelInput(snakeArgs[snake], a.type);
    return camel;
  };
  if (resolve) {
    return argNames.length ? (src, a, ctx, info) => resolve(src, toCamelArgs(a), ctx, info) : resolve;
  }
  return (src) => (src as Record<string, unknown>)[name];
}

function camelInput(value: unknown, type: GraphQLInputType): unknown {
  if (value === null || value === undefined) return value;
  if (isNonNullType(type)) return camelInput(value, type.ofType);
  if (isListType(type)) return (value as unknown[]).map((v) => camelInput(v, type.ofType));
  if (isInputObjectType(type)) {
    const out: Record<string, unknown> = {};
    const fields = Object.values(type.getFields());
    for (const f of fields) {
      const key = toSnake(f.name);
      if (key in (value as Record<string, unknown>)) out[f.name] = camelInput((value as Record<string, unknown>)[key], f.type);
    }
    return out;
  }
  return value;
}
