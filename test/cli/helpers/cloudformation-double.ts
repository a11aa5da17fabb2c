import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

const NS = 'http://cloudformation.amazonaws.com/doc/2010-05-15/';
const xml = (text: string): string =>
  text.replaceAll('&', '&amp;').replaceAll('<', '&lt;').replaceAll('>', '&gt;').replaceAll('"', '&quot;');

/**
 * A CloudFormation endpoint that knows one deployed stack and answers DescribeStacks (awsQuery,
 * XML) as AWS does, including the ValidationError of an unknown stack: enough for the CLI's AWS
 * target to be exercised through the real SDK client and the default credential chain.
 */
export async function startCloudFormationDouble(stack: {
  name: string;
  outputs: Record<string, string>;
}): Promise<{ endpoint: string; requests: string[]; close(): Promise<void> }> {
  const requests: string[] = [];
  const server: Server = createServer((req, res) => {
    let body = '';
    req.on('data', (chunk) => {
      body += String(chunk);
    });
    req.on('end', () => {
      const params = new URLSearchParams(body);
      requests.push(`${params.get('Action')} ${params.get('StackName')}`);
      res.setHeader('content-type', 'text/xml');
      if (params.get('Action') !== 'DescribeStacks' || params.get('StackName') !== stack.name) {
        res.statusCode = 400;
        res.end(
          `<ErrorResponse xmlns="${NS}"><Error><Type>Sender</Type><Code>ValidationError</Code>` +
            `<Message>Stack with id ${xml(params.get('StackName') ?? '')} does not exist</Message></Error>` +
            '<RequestId>r-1</RequestId></ErrorResponse>',
        );
        return;
      }
      const outputs = Object.entries(stack.outputs)
        .map(
          ([k, v]) => `<member><OutputKey>${xml(k)}</OutputKey><OutputValue>${xml(v)}</OutputValue></member>`,
        )
        .join('');
      res.end(
        `<DescribeStacksResponse xmlns="${NS}"><DescribeStacksResult><Stacks><member>` +
          `<StackName>${xml(stack.name)}</StackName>` +
          `<StackId>arn:aws:cloudformation:us-east-1:000000000000:stack/${xml(stack.name)}/1</StackId>` +
          '<CreationTime>2026-01-01T00:00:00Z</CreationTime><StackStatus>CREATE_COMPLETE</StackStatus>' +
          `<Outputs>${outputs}</Outputs></member></Stacks></DescribeStacksResult>` +
          '<ResponseMetadata><RequestId>r-2</RequestId></ResponseMetadata></DescribeStacksResponse>',
      );
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const address: AddressInfo | string | null = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    requests,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}
