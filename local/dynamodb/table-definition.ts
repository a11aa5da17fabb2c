import { z } from 'zod';

const KeySchema = z.object({ name: z.string().min(1), type: z.enum(['S', 'N', 'B']) });

/**
 * A table as recert declares it once for both worlds: `infra/` turns it into a CDK table, the local
 * DynamoDB creates it with `ensureTable`.
 */
export const TableDefinitionSchema = z.object({
  tableName: z.string().regex(/^[a-zA-Z0-9_.-]{3,255}$/),
  partitionKey: KeySchema,
  sortKey: KeySchema.optional(),
  globalSecondaryIndexes: z
    .array(
      z.object({
        indexName: z.string().regex(/^[a-zA-Z0-9_.-]{3,255}$/),
        partitionKey: KeySchema,
        sortKey: KeySchema.optional(),
        /** Projected attributes: ALL (default), KEYS_ONLY, or the listed non-key attributes. */
        projection: z
          .union([z.literal('ALL'), z.literal('KEYS_ONLY'), z.array(z.string()).min(1)])
          .optional(),
      }),
    )
    .optional(),
  /** The attribute holding an expiry time in epoch seconds (DynamoDB TTL). */
  timeToLiveAttribute: z.string().min(1).optional(),
});
export type TableDefinition = z.infer<typeof TableDefinitionSchema>;
