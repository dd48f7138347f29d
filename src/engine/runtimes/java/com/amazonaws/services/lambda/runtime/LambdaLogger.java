// The function's logger, as aws-lambda-java-core declares it: each call is one log event.
package com.amazonaws.services.lambda.runtime;

import com.amazonaws.services.lambda.runtime.logging.LogLevel;

public interface LambdaLogger {
    void log(String message);

    void log(byte[] message);

    default void log(String message, LogLevel logLevel) {
        log(message);
    }

    default void log(byte[] message, LogLevel logLevel) {
        log(message);
    }
}
