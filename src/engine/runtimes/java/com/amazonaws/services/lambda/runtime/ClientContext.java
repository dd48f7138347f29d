// The mobile client context of an invocation, as aws-lambda-java-core declares it.
package com.amazonaws.services.lambda.runtime;

import java.util.Map;

public interface ClientContext {
    Client getClient();

    Map<String, String> getCustom();

    Map<String, String> getEnvironment();
}
