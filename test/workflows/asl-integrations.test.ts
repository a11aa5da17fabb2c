import { describe, expect, it } from 'vitest';
import {
  DefinitionShapeError,
  integrationsOf,
  UnsupportedIntegrationError,
} from '../../workflows/access/asl-integrations.ts';
import { bakeSettings, readDefinitionTemplate } from '../../workflows/rotate-device/contract.ts';

/** `${name}`, the placeholder syntax of the definition. */
const ph = (name: string): string => `\${${name}}`;

describe('integrationsOf', () => {
  it('finds the five task functions and the one DynamoDB action of the rotate-device definition', () => {
    // Prepare
    const definition = JSON.parse(bakeSettings(readDefinitionTemplate()));

    // Act
    const integrations = integrationsOf(definition);

    // Assess
    expect(integrations).toEqual({
      lambdaFunctions: [
        ph('IssueCertificateFunctionArn'),
        ph('RequestCsrFunctionArn'),
        ph('RetireCertificateFunctionArn'),
        ph('RevokeCertificateFunctionArn'),
      ],
      dynamoDbActions: ['dynamodb:UpdateItem'],
      dynamoDbTables: [ph('RotationTableName')],
    });
  });

  it('looks into Parallel branches and Map processors', () => {
    // Prepare
    const definition = {
      StartAt: 'P',
      States: {
        P: {
          Type: 'Parallel',
          Branches: [
            {
              StartAt: 'G',
              States: {
                G: {
                  Type: 'Task',
                  Resource: 'arn:aws:states:::dynamodb:getItem',
                  Arguments: { TableName: ph('T') },
                  End: true,
                },
              },
            },
          ],
          Next: 'M',
        },
        M: {
          Type: 'Map',
          ItemProcessor: {
            StartAt: 'L',
            States: {
              L: {
                Type: 'Task',
                Resource: 'arn:aws:states:::lambda:invoke',
                Arguments: { FunctionName: ph('F') },
                End: true,
              },
            },
          },
          End: true,
        },
      },
    };

    // Act / Assess
    expect(integrationsOf(definition)).toEqual({
      lambdaFunctions: [ph('F')],
      dynamoDbActions: ['dynamodb:GetItem'],
      dynamoDbTables: [ph('T')],
    });
  });

  it('refuses an integration it grants nothing for, so the stack cannot deploy without its permission', () => {
    // Prepare
    const definition = {
      StartAt: 'S',
      States: { S: { Type: 'Task', Resource: 'arn:aws:states:::sns:publish', End: true } },
    };

    // Act / Assess
    expect(() => integrationsOf(definition)).toThrow(UnsupportedIntegrationError);
    expect(() => integrationsOf(definition)).toThrow(/sns:publish/);
  });

  it('refuses a DynamoDB task without a TableName: there would be no table to grant it on', () => {
    const definition = {
      StartAt: 'S',
      States: { S: { Type: 'Task', Resource: 'arn:aws:states:::dynamodb:putItem', End: true } },
    };
    expect(() => integrationsOf(definition)).toThrow(/no TableName/);
  });

  it('refuses a definition that is not an ASL object', () => {
    expect(() => integrationsOf([])).toThrow(DefinitionShapeError);
    expect(() => integrationsOf({ States: { S: { Type: 'Task' } } })).toThrow(/no Resource/);
  });
});
