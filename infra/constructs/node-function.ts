import * as lambda from 'aws-cdk-lib/aws-lambda';
import { type NodejsFunctionProps, OutputFormat, SourceMapMode } from 'aws-cdk-lib/aws-lambda-nodejs';
import { REPOSITORY_ROOT, repositoryPath } from '../repository.ts';

/**
 * What every recert Lambda shares: Node.js 22 on ARM, 256 MB, JSON logs, and an ESM bundle of the
 * entry (a path from the repository root) with the lock file's dependencies and source maps.
 */
export function nodeFunctionBase(entry: string): NodejsFunctionProps {
  return {
    entry: repositoryPath(entry),
    projectRoot: REPOSITORY_ROOT,
    depsLockFilePath: repositoryPath('package-lock.json'),
    runtime: lambda.Runtime.NODEJS_22_X,
    architecture: lambda.Architecture.ARM_64,
    memorySize: 256,
    loggingFormat: lambda.LoggingFormat.JSON,
    bundling: {
      format: OutputFormat.ESM,
      target: 'node22',
      platform: 'node',
      minify: true,
      sourceMap: true,
      sourceMapMode: SourceMapMode.DEFAULT,
      mainFields: ['module', 'main'],
      // The pinned SDK versions are bundled rather than the runtime's, so what runs is what was tested.
      externalModules: [],
      // Some dependencies are CommonJS and call require(); an ESM bundle has to provide it.
      banner:
        "import { createRequire as __recertRequire } from 'node:module';const require = __recertRequire(import.meta.url);",
      forceDockerBundling: false,
      tsconfig: repositoryPath('tsconfig.json'),
    },
  };
}
