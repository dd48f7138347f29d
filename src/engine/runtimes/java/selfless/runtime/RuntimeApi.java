// The Lambda Runtime API as a client sees it: next invocation, response, invocation and init errors.
package selfless.runtime;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.HttpURLConnection;
import java.net.URL;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;

final class RuntimeApi {
    private final String base;

    RuntimeApi(String address) {
        this.base = "http://" + address + "/2018-06-01";
    }

    /** One invocation: its headers and payload. */
    static final class Invocation {
        final Map<String, List<String>> headers;
        final byte[] payload;

        Invocation(Map<String, List<String>> headers, byte[] payload) {
            this.headers = headers;
            this.payload = payload;
        }

        String header(String name) {
            for (Map.Entry<String, List<String>> e : headers.entrySet()) {
                if (e.getKey() != null && e.getKey().equalsIgnoreCase(name) && !e.getValue().isEmpty()) return e.getValue().get(0);
            }
            return null;
        }
    }

    Invocation next() throws IOException {
        HttpURLConnection c = (HttpURLConnection) new URL(base + "/runtime/invocation/next").openConnection();
        c.setReadTimeout(0);
        int status = c.getResponseCode();
        byte[] body = readAll(status >= 400 ? c.getErrorStream() : c.getInputStream());
        if (status != 200) throw new IOException("Runtime API /next answered " + status + ": " + new String(body, StandardCharsets.UTF_8));
        return new Invocation(c.getHeaderFields(), body);
    }

    void response(String requestId, byte[] body) throws IOException {
        post("/runtime/invocation/" + requestId + "/response", body, null);
    }

    void error(String requestId, String errorType, String json) throws IOException {
        post("/runtime/invocation/" + requestId + "/error", json.getBytes(StandardCharsets.UTF_8), errorType);
    }

    void initError(String errorType, String json) throws IOException {
        post("/runtime/init/error", json.getBytes(StandardCharsets.UTF_8), errorType);
    }

    private void post(String path, byte[] body, String errorType) throws IOException {
        HttpURLConnection c = (HttpURLConnection) new URL(base + path).openConnection();
        c.setRequestMethod("POST");
        c.setDoOutput(true);
        c.setFixedLengthStreamingMode(body.length);
        c.setRequestProperty("Content-Type", "application/json");
        if (errorType != null) c.setRequestProperty("Lambda-Runtime-Function-Error-Type", errorType);
        try (OutputStream out = c.getOutputStream()) {
            out.write(body);
        }
        int status = c.getResponseCode();
        readAll(status >= 400 ? c.getErrorStream() : c.getInputStream());
    }

    static byte[] readAll(InputStream in) throws IOException {
        if (in == null) return new byte[0];
        try (InputStream i = in) {
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            byte[] buf = new byte[16384];
            for (int n; (n = i.read(buf)) > 0;) out.write(buf, 0, n);
            return out.toByteArray();
        }
    }
}
