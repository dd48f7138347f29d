// Log levels of the advanced logging controls, as aws-lambda-java-core declares them.
package com.amazonaws.services.lambda.runtime.logging;

public enum LogLevel {
    UNDEFINED, TRACE, DEBUG, INFO, WARN, ERROR, FATAL;

    public static LogLevel fromString(String logLevel) {
        try {
            return LogLevel.valueOf(logLevel.toUpperCase());
        } catch (Exception e) {
            throw new IllegalArgumentException("Invalid log level: '" + logLevel + "' expected one of [TRACE, DEBUG, INFO, WARN, ERROR, FATAL]");
        }
    }
}
