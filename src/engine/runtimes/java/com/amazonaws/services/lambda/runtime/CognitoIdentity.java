// The Amazon Cognito identity of an invocation, as aws-lambda-java-core declares it.
package com.amazonaws.services.lambda.runtime;

public interface CognitoIdentity {
    String getIdentityId();

    String getIdentityPoolId();
}
