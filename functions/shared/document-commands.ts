/**
 * DynamoDB commands written with plain JavaScript values, sent by the plain DynamoDB client (a batch
 * write converts its items with `toAttributeMap`).
 *
 * Why not the SDK's document client (`@aws-sdk/lib-dynamodb`): it refuses a client that caches its
 * resolved middleware (`cacheMiddleware`), so every call rebuilt and sorted the whole middleware
 * stack. With the cache, a warm function spends about a fifth less CPU on each DynamoDB call
 * (`npx tsx bench/dynamodb-client.ts`). The values are converted here exactly as the document client
 * converted them (`@aws-sdk/util-dynamodb`, undefined attributes dropped, numbers as numbers).
 */
import {
  type AttributeValue,
  DeleteItemCommand,
  type DeleteItemCommandInput,
  GetItemCommand,
  type GetItemCommandInput,
  PutItemCommand,
  type PutItemCommandInput,
  QueryCommand,
  type QueryCommandInput,
  UpdateItemCommand,
  type UpdateItemCommandInput,
} from '@aws-sdk/client-dynamodb';
import { marshall, unmarshall } from '@aws-sdk/util-dynamodb';

/** An item or key as plain values: strings, numbers, booleans, null, lists, maps, sets. */
export type Document = Record<string, unknown>;
export type AttributeMap = Record<string, AttributeValue>;

/** Plain values to DynamoDB's attribute values; undefined attributes are left out. */
export function toAttributeMap(document: Document): AttributeMap {
  return marshall(document, { removeUndefinedValues: true });
}

/** DynamoDB's attribute values to plain values (numbers as JavaScript numbers). */
export function fromAttributeMap(item: AttributeMap): Document {
  return unmarshall(item);
}

/** An item the service returned, if any, as plain values. */
export function documentOf(item: AttributeMap | undefined): Document | undefined {
  return item === undefined ? undefined : fromAttributeMap(item);
}

function valuesOf(values: Document | undefined): { ExpressionAttributeValues?: AttributeMap } {
  return values === undefined ? {} : { ExpressionAttributeValues: toAttributeMap(values) };
}

type WithDocuments<T, K extends keyof T> = Omit<T, K | 'ExpressionAttributeValues'> & {
  readonly [P in K]-?: Document;
} & { readonly ExpressionAttributeValues?: Document };

export type GetDocumentInput = Omit<GetItemCommandInput, 'Key'> & { readonly Key: Document };
export type UpdateDocumentInput = WithDocuments<UpdateItemCommandInput, 'Key'>;
export type PutDocumentInput = WithDocuments<PutItemCommandInput, 'Item'>;
export type DeleteDocumentInput = WithDocuments<DeleteItemCommandInput, 'Key'>;
export type QueryDocumentsInput = Omit<
  QueryCommandInput,
  'ExpressionAttributeValues' | 'ExclusiveStartKey'
> & {
  readonly ExpressionAttributeValues?: Document;
  readonly ExclusiveStartKey?: Document;
};

export function getDocument(input: GetDocumentInput): GetItemCommand {
  return new GetItemCommand({ ...input, Key: toAttributeMap(input.Key) });
}

export function updateDocument(input: UpdateDocumentInput): UpdateItemCommand {
  const { ExpressionAttributeValues, ...rest } = input;
  return new UpdateItemCommand({
    ...rest,
    Key: toAttributeMap(input.Key),
    ...valuesOf(ExpressionAttributeValues),
  });
}

export function putDocument(input: PutDocumentInput): PutItemCommand {
  const { ExpressionAttributeValues, ...rest } = input;
  return new PutItemCommand({
    ...rest,
    Item: toAttributeMap(input.Item),
    ...valuesOf(ExpressionAttributeValues),
  });
}

export function deleteDocument(input: DeleteDocumentInput): DeleteItemCommand {
  const { ExpressionAttributeValues, ...rest } = input;
  return new DeleteItemCommand({
    ...rest,
    Key: toAttributeMap(input.Key),
    ...valuesOf(ExpressionAttributeValues),
  });
}

export function queryDocuments(input: QueryDocumentsInput): QueryCommand {
  const { ExpressionAttributeValues, ExclusiveStartKey, ...rest } = input;
  return new QueryCommand({
    ...rest,
    ...valuesOf(ExpressionAttributeValues),
    ...(ExclusiveStartKey === undefined ? {} : { ExclusiveStartKey: toAttributeMap(ExclusiveStartKey) }),
  });
}
