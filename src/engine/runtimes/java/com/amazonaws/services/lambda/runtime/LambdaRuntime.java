// The process-wide logger outside a handler, as aws-lambda-java-core declares it.
package com.amazonaws.services.lambda.runtime;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;

public final class LambdaRuntime {
    private LambdaRuntime() {
    }

    private static volatile LambdaLogger logger = new LambdaLogger() {
        public void log(String message) {
            PrintStream out = System.out;
            synchronized (out) {
                out.print(message);
                out.flush();
            }
        }

        public void log(byte[] message) {
            log(new String(message, StandardCharsets.UTF_8));
        }
    };

    public static LambdaLogger getLogger() {
        return logger;
    }
}
