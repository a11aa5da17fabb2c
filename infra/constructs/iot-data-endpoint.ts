import { Fn } from 'aws-cdk-lib';
import * as cr from 'aws-cdk-lib/custom-resources';
import { Construct } from 'constructs';

/**
 * The account's AWS IoT data endpoint (iot:Data-ATS): CloudFormation has no attribute for it, so it is
 * given (context `recert:iotDataEndpoint`) or looked up at deploy time with DescribeEndpoint.
 */
export class IotDataEndpoint extends Construct {
  /** `https://<host>`. */
  readonly url: string;
  /** The custom resource when the endpoint is looked up, for cdk-nag suppressions. */
  readonly lookup?: cr.AwsCustomResource;

  constructor(scope: Construct, id: string, props: { readonly host?: string }) {
    super(scope, id);
    if (props.host !== undefined) {
      this.url = `https://${props.host}`;
      return;
    }
    const call: cr.AwsSdkCall = {
      service: 'Iot',
      action: 'describeEndpoint',
      parameters: { endpointType: 'iot:Data-ATS' },
      physicalResourceId: cr.PhysicalResourceId.of('recert-iot-data-ats-endpoint'),
      outputPaths: ['endpointAddress'],
    };
    this.lookup = new cr.AwsCustomResource(this, 'Lookup', {
      onCreate: call,
      onUpdate: call,
      installLatestAwsSdk: false,
      // DescribeEndpoint takes no resource ARN.
      policy: cr.AwsCustomResourcePolicy.fromSdkCalls({ resources: cr.AwsCustomResourcePolicy.ANY_RESOURCE }),
    });
    this.url = Fn.join('', ['https://', this.lookup.getResponseField('endpointAddress')]);
  }
}
