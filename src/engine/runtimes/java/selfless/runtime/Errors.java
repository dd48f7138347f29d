// Errors as Lambda's Java runtime reports them: errorMessage, errorType (the class), stackTrace, cause.
package selfless.runtime;

import java.lang.reflect.InvocationTargetException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

final class Errors {
    private Errors() {
    }

    /** A handler's own exception, not the reflection wrapper around it. */
    static Throwable unwrap(Throwable t) {
        while (t instanceof InvocationTargetException && t.getCause() != null) t = t.getCause();
        return t;
    }

    static Map<String, Object> shape(Throwable t) {
        Map<String, Object> m = new LinkedHashMap<>();
        if (t.getLocalizedMessage() != null) m.put("errorMessage", t.getLocalizedMessage());
        m.put("errorType", t.getClass().getName());
        List<String> frames = new ArrayList<>();
        for (StackTraceElement e : t.getStackTrace()) {
            String c = e.getClassName();
            // The runtime's own frames and the reflection that called the handler are not the function's.
            if (c.startsWith("selfless.runtime.") || c.startsWith("jdk.internal.reflect.") || c.equals("java.lang.reflect.Method")) continue;
            frames.add(e.getClassName() + "." + e.getMethodName() + "(" + (e.getFileName() == null ? "Unknown Source" : e.getFileName() + (e.getLineNumber() >= 0 ? ":" + e.getLineNumber() : "")) + ")");
        }
        m.put("stackTrace", frames);
        Throwable cause = t.getCause();
        if (cause != null && cause != t) m.put("cause", shape(cause));
        return m;
    }

    /** The log lines of an uncaught exception, as Lambda's Java runtime writes them. */
    static String logText(Throwable t) {
        java.io.StringWriter w = new java.io.StringWriter();
        t.printStackTrace(new java.io.PrintWriter(w));
        String msg = t.getLocalizedMessage();
        return (msg == null ? t.getClass().getName() : msg + ": " + t.getClass().getName()) + "\n" + w.toString().trim();
    }

    static Map<String, Object> of(String type, String message) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("errorMessage", message);
        m.put("errorType", type);
        m.put("stackTrace", new ArrayList<String>());
        return m;
    }
}
