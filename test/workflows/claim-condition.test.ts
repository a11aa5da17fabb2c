import { UpdateItemCommand } from '@aws-sdk/client-dynamodb';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { deleteDocument, putDocument } from '../../functions/shared/document-commands.ts';
import { isNamed } from '../../workflows/rotate-device/aws-errors.ts';
import { FUNCTION_IDS, renderDefinition } from '../../workflows/rotate-device/contract.ts';
import {
  conditionExpression,
  failedRequirements,
  RECORD_WRITES,
} from '../../workflows/rotate-device/record-transitions.ts';
import { useKeyedTable } from '../functions/dynalite.ts';
import { evaluateField } from './jsonata-states.ts';

const TABLE = 'claims';
const THING = 'sensor-1';
const MINE = 'arn:aws:states:us-east-1:000000000000:execution:recert-rotate-device:mine';
const OTHER = 'arn:aws:states:us-east-1:000000000000:execution:recert-rotate-device:other';

const ClaimThing = z.object({
  States: z.object({
    ClaimThing: z.object({
      Resource: z.literal('arn:aws:states:::dynamodb:updateItem'),
      Arguments: z.object({ ConditionExpression: z.string() }).passthrough(),
    }),
  }),
});

/** The ClaimThing state of the definition as it is deployed and run locally. */
const claimState = () =>
  ClaimThing.parse(
    JSON.parse(
      renderDefinition({
        functionArns: Object.fromEntries(FUNCTION_IDS.map((id) => [id, `arn:aws:lambda:::function:${id}`])),
        tableName: TABLE,
      }),
    ),
  ).States.ClaimThing;

/** ClaimThing's UpdateItem for an execution, its JSONata evaluated as Step Functions does. */
async function claimWrite(executionArn: string) {
  const args = await evaluateField(
    claimState().Arguments,
    {
      input: { thingName: THING, oldCertificateId: 'a'.repeat(64) },
      context: { Execution: { Id: executionArn }, State: { EnteredTime: '2026-06-01T12:00:00.000Z' } },
    },
    {},
  );
  return new UpdateItemCommand(z.custom<ConstructorParameters<typeof UpdateItemCommand>[0]>().parse(args));
}

describe("ClaimThing's condition", () => {
  const table = useKeyedTable(TABLE, 'thingName');

  it('is the record-transitions table’s claim, over the names and values the state declares', () => {
    // Act
    const rendered = claimState().Arguments.ConditionExpression;

    // Assess
    const expected = conditionExpression(
      RECORD_WRITES.claim.requires,
      { executionArn: ':executionArn' },
      {
        name: (a) => (a === 'status' ? '#status' : a),
        value: (v) => (v === 'IN_PROGRESS' ? ':inProgress' : String(v)),
      },
    );
    expect(rendered).toBe(expected);
    expect(rendered).not.toContain('${');
  });

  it.each([
    { record: undefined, claims: true, why: 'no rotation of the thing yet' },
    {
      record: { status: 'IN_PROGRESS', executionArn: OTHER },
      claims: false,
      why: 'another rotation in flight',
    },
    { record: { status: 'IN_PROGRESS', executionArn: MINE }, claims: true, why: 'its own claim again' },
    { record: { status: 'FAILED', executionArn: OTHER }, claims: true, why: 'the other rotation ended' },
    {
      record: { status: 'SUCCEEDED', executionArn: OTHER },
      claims: true,
      why: 'the other rotation succeeded',
    },
  ])('claims the thing: $claims ($why), as the table says', async ({ record, claims }) => {
    // Prepare
    const db = table.db();
    if (record) await db.send(putDocument({ TableName: TABLE, Item: { thingName: THING, ...record } }));
    else await db.send(deleteDocument({ TableName: TABLE, Key: { thingName: THING } }));

    // Act
    const claimed = await db.send(await claimWrite(MINE)).then(
      () => true,
      (error: unknown) => {
        if (isNamed(error, 'ConditionalCheckFailedException')) return false;
        throw error;
      },
    );

    // Assess
    expect(claimed).toBe(claims);
    expect(
      failedRequirements(RECORD_WRITES.claim.requires, record, { executionArn: MINE }).length === 0,
    ).toBe(claims);
  });
});
