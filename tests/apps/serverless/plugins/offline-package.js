'use strict';

// Lets `serverless package` run without AWS. While it packages a layer, Serverless Framework v3
// asks CloudFormation for the deployed stack (to re-use the S3 key of a layer whose hash has not
// changed). This service is only ever packaged offline, to produce latest-guard's test inputs,
// so the plugin answers that call the way AWS answers for a stack that was never deployed.
// Every other request goes to AWS as usual.
class OfflinePackage {
  constructor(serverless) {
    const provider = serverless.getProvider('aws');
    const request = provider.request.bind(provider);
    provider.request = async (service, method, params, ...rest) => {
      if (service === 'CloudFormation' && method === 'describeStacks') {
        throw new Error(`Stack with id ${params.StackName} does not exist`);
      }
      return request(service, method, params, ...rest);
    };
  }
}

module.exports = OfflinePackage;
