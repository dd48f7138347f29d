// selfless's Java runtime client: builds the function's class path, loads its handler, serves the Runtime API loop.
package selfless.runtime;

import com.amazonaws.services.lambda.runtime.LambdaRuntime;
import java.io.File;
import java.io.FileOutputStream;
import java.io.FileDescriptor;
import java.io.PrintStream;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

public final class Main {
    private Main() {
    }

    /** /var/task, its lib/*.jar, then each layer's /opt/java/lib/*.jar and /opt/java, as Lambda's class path is. */
    static URL[] classPath(String taskRoot, String optRoot) throws Exception {
        List<URL> urls = new ArrayList<>();
        urls.add(new File(taskRoot).toURI().toURL());
        jars(new File(taskRoot, "lib"), urls);
        jars(new File(optRoot, "java/lib"), urls);
        urls.add(new File(optRoot, "java").toURI().toURL());
        return urls.toArray(new URL[0]);
    }

    private static void jars(File dir, List<URL> urls) throws Exception {
        File[] files = dir.listFiles((d, n) -> n.endsWith(".jar"));
        if (files == null) return;
        Arrays.sort(files);
        for (File f : files) urls.add(f.toURI().toURL());
    }

    public static void main(String[] args) throws Exception {
        PrintStream out = new PrintStream(new FileOutputStream(FileDescriptor.out), true, "UTF-8");
        System.setOut(out);
        RuntimeApi api = new RuntimeApi(System.getenv("AWS_LAMBDA_RUNTIME_API"));
        Logger logger = new Logger(out);
        try {
            java.lang.reflect.Field f = LambdaRuntime.class.getDeclaredField("logger");
            f.setAccessible(true);
            f.set(null, logger);
        } catch (ReflectiveOperationException e) {
            // keep LambdaRuntime's own stdout logger
        }
        String taskRoot = env("LAMBDA_TASK_ROOT", "/var/task");
        // The layers' directory: /opt in a sandbox; the launcher passes its host path otherwise.
        String optRoot = args.length > 0 ? args[0] : "/opt";
        Handler handler;
        try {
            ClassLoader loader = new URLClassLoader(classPath(taskRoot, optRoot), Main.class.getClassLoader());
            Thread.currentThread().setContextClassLoader(loader);
            handler = Handler.load(System.getenv("_HANDLER"), loader);
        } catch (Handler.InitError e) {
            Throwable shown = e.getCause() != null && !(e.getCause() instanceof ClassNotFoundException) && !(e.getCause() instanceof NoClassDefFoundError) ? e.getCause() : e;
            java.util.Map<String, Object> body = shown == e ? Errors.of(e.type, e.getMessage()) : Errors.shape(shown);
            body.put("errorMessage", e.getMessage());
            body.put("errorType", e.type);
            out.print(Errors.logText(shown == e ? new RuntimeException(e.getMessage()) : shown).replace('\n', '\r') + "\n");
            api.initError(e.type, Json.write(body));
            System.exit(1);
            return;
        } catch (Throwable t) {
            Throwable u = Errors.unwrap(t);
            out.print(Errors.logText(u).replace('\n', '\r') + "\n");
            api.initError(u.getClass().getName(), Json.write(Errors.shape(u)));
            System.exit(1);
            return;
        }
        while (true) {
            RuntimeApi.Invocation inv = api.next();
            Invocation ctx = new Invocation(inv, logger);
            String id = ctx.requestId();
            logger.requestId = id;
            String trace = inv.header("Lambda-Runtime-Trace-Id");
            if (trace != null) System.setProperty("com.amazonaws.xray.traceHeader", trace);
            else System.clearProperty("com.amazonaws.xray.traceHeader");
            byte[] response;
            try {
                response = handler.handle(inv.payload, ctx);
            } catch (Throwable t) {
                Throwable u = Errors.unwrap(t);
                out.print(Errors.logText(u).replace('\n', '\r') + "\n");
                out.flush();
                api.error(id, u.getClass().getName(), Json.write(Errors.shape(u)));
                if (u instanceof OutOfMemoryError) System.exit(1);
                continue;
            }
            out.flush();
            api.response(id, response);
        }
    }

    private static String env(String name, String fallback) {
        String v = System.getenv(name);
        return v == null || v.isEmpty() ? fallback : v;
    }

    static byte[] utf8(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }
}
