// LambdaLogger onto the function's log: one call is one event (newlines inside stay in it), TEXT or JSON format.
package selfless.runtime;

import com.amazonaws.services.lambda.runtime.LambdaLogger;
import com.amazonaws.services.lambda.runtime.logging.LogLevel;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;

final class Logger implements LambdaLogger {
    private final PrintStream out;
    private final boolean json;
    private final LogLevel min;
    volatile String requestId;

    Logger(PrintStream out) {
        this.out = out;
        this.json = "JSON".equalsIgnoreCase(System.getenv("AWS_LAMBDA_LOG_FORMAT"));
        LogLevel m = LogLevel.UNDEFINED;
        String level = System.getenv("AWS_LAMBDA_LOG_LEVEL");
        if (level != null) {
            try {
                m = LogLevel.fromString(level);
            } catch (IllegalArgumentException e) {
                m = LogLevel.UNDEFINED;
            }
        }
        this.min = m;
    }

    public void log(String message) {
        log(message, LogLevel.UNDEFINED);
    }

    public void log(byte[] message) {
        log(new String(message, StandardCharsets.UTF_8), LogLevel.UNDEFINED);
    }

    public void log(byte[] message, LogLevel level) {
        log(new String(message, StandardCharsets.UTF_8), level);
    }

    public void log(String message, LogLevel level) {
        if (message == null) message = "null";
        if (level != LogLevel.UNDEFINED && min != LogLevel.UNDEFINED && level.ordinal() < min.ordinal()) return;
        String line;
        if (json) {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("timestamp", Instant.now().toString());
            m.put("level", level == LogLevel.UNDEFINED ? "INFO" : level.name());
            m.put("message", message);
            if (requestId != null) m.put("AWSRequestId", requestId);
            line = Json.write(m);
        } else {
            if (message.endsWith("\n")) message = message.substring(0, message.length() - 1);
            line = (level == LogLevel.UNDEFINED ? "" : "[" + level.name() + "] ") + message.replace('\n', '\r');
        }
        synchronized (out) {
            out.print(line + "\n");
            out.flush();
        }
    }
}
