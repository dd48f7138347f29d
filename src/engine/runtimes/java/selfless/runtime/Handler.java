// Resolves `package.Class::method` or `package.Class` into something that turns an event's bytes into a response.
package selfless.runtime;

import com.amazonaws.services.lambda.runtime.Context;
import com.amazonaws.services.lambda.runtime.RequestHandler;
import com.amazonaws.services.lambda.runtime.RequestStreamHandler;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.io.OutputStream;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.lang.reflect.Type;
import java.nio.charset.StandardCharsets;

abstract class Handler {
    /** Thrown at init with the error type Lambda reports (class or method missing, a bad handler string). */
    static final class InitError extends Exception {
        private static final long serialVersionUID = 1L;
        final String type;

        InitError(String type, String message, Throwable cause) {
            super(message, cause);
            this.type = type;
        }
    }

    abstract byte[] handle(byte[] payload, Context context) throws Throwable;

    static Handler load(String spec, ClassLoader loader) throws InitError {
        if (spec == null || spec.isEmpty()) throw new InitError("java.lang.IllegalArgumentException", "Handler not set", null);
        int sep = spec.indexOf("::");
        String className = sep < 0 ? spec : spec.substring(0, sep);
        String methodName = sep < 0 ? null : spec.substring(sep + 2);
        Class<?> c;
        try {
            c = Class.forName(className, true, loader);
        } catch (ClassNotFoundException | NoClassDefFoundError e) {
            throw new InitError("java.lang.ClassNotFoundException", "Class not found: " + className, e);
        } catch (ExceptionInInitializerError e) {
            Throwable cause = e.getCause() == null ? e : e.getCause();
            throw new InitError(cause.getClass().getName(), "Error loading class " + className + (cause.getMessage() == null ? "" : ": " + cause.getMessage()), cause);
        }
        if (methodName == null || methodName.isEmpty()) {
            if (RequestStreamHandler.class.isAssignableFrom(c)) return stream((RequestStreamHandler) instance(c));
            if (RequestHandler.class.isAssignableFrom(c)) return typed(c, "handleRequest", instance(c));
            throw new InitError("java.lang.ClassCastException",
                    "Class '" + className + "' does not implement RequestHandler or RequestStreamHandler with the correct signature.", null);
        }
        if (RequestStreamHandler.class.isAssignableFrom(c) && methodName.equals("handleRequest")) return stream((RequestStreamHandler) instance(c));
        return typed(c, methodName, null);
    }

    private static Object instance(Class<?> c) throws InitError {
        try {
            return c.getConstructor().newInstance();
        } catch (NoSuchMethodException e) {
            throw new InitError("java.lang.NoSuchMethodException", "Class " + c.getName() + " has no public zero-argument constructor", e);
        } catch (ReflectiveOperationException e) {
            Throwable t = Errors.unwrap(e);
            throw new InitError(t.getClass().getName(), "An error occurred during class instantiation: " + t, t);
        }
    }

    private static Handler stream(RequestStreamHandler h) {
        return new Handler() {
            byte[] handle(byte[] payload, Context context) throws Throwable {
                ByteArrayOutputStream out = new ByteArrayOutputStream();
                h.handleRequest(new ByteArrayInputStream(payload), out, context);
                return out.toByteArray();
            }
        };
    }

    /** The shape of a handler method's parameters: (), (I), (I, Context), (InputStream, OutputStream[, Context]). */
    private static int rank(Method m) {
        Class<?>[] p = m.getParameterTypes();
        if (p.length >= 2 && p[0] == InputStream.class && p[1] == OutputStream.class) {
            return p.length == 2 || (p.length == 3 && p[2] == Context.class) ? 10 + p.length : -1;
        }
        if (p.length == 2 && p[1] == Context.class) return 2;
        if (p.length == 1) return 1;
        return p.length == 0 ? 0 : -1;
    }

    private static Handler typed(Class<?> c, String name, Object given) throws InitError {
        Method best = null;
        for (Method m : c.getMethods()) {
            if (!m.getName().equals(name) || rank(m) < 0) continue;
            // A generic interface leaves a bridge method taking Object: the declared type is the real one.
            if (best == null || (best.isBridge() && !m.isBridge()) || (best.isBridge() == m.isBridge() && rank(m) > rank(best))) best = m;
        }
        if (best == null) {
            throw new InitError("java.lang.NoSuchMethodException", "No public method named " + name + " with appropriate method signature found on class " + c.getName(), null);
        }
        final Method m = best;
        final Object target = given != null ? given : Modifier.isStatic(m.getModifiers()) ? null : instance(c);
        final Class<?>[] p = m.getParameterTypes();
        final Type[] g = m.getGenericParameterTypes();
        final boolean streaming = p.length >= 2 && p[0] == InputStream.class;
        final boolean inputIsContext = p.length == 1 && p[0] == Context.class;
        final boolean noResult = m.getReturnType() == void.class || m.getReturnType() == Void.class;
        m.setAccessible(true);
        return new Handler() {
            byte[] handle(byte[] payload, Context context) throws Throwable {
                Object[] args = new Object[p.length];
                if (streaming) {
                    ByteArrayOutputStream out = new ByteArrayOutputStream();
                    args[0] = new ByteArrayInputStream(payload);
                    args[1] = out;
                    if (p.length == 3) args[2] = context;
                    m.invoke(target, args);
                    return out.toByteArray();
                }
                if (inputIsContext) args[0] = context;
                else if (p.length >= 1) args[0] = input(payload, g[0]);
                if (p.length == 2) args[1] = context;
                Object result;
                try {
                    result = m.invoke(target, args);
                } catch (java.lang.reflect.InvocationTargetException e) {
                    throw Errors.unwrap(e);
                }
                if (noResult) return "null".getBytes(StandardCharsets.UTF_8);
                return output(result);
            }
        };
    }

    static Object input(byte[] payload, Type type) {
        Class<?> raw = Pojo.rawClass(type);
        if (raw == InputStream.class) return new ByteArrayInputStream(payload);
        if (raw == byte[].class) return payload;
        String text = new String(payload, StandardCharsets.UTF_8);
        try {
            Object parsed = text.trim().isEmpty() ? null : Json.parse(text);
            return Pojo.convert(parsed, type);
        } catch (IllegalArgumentException e) {
            throw new RuntimeException("An error occurred during JSON parsing", e);
        }
    }

    static byte[] output(Object result) {
        if (result instanceof byte[]) return (byte[]) result;
        if (result instanceof InputStream) {
            try {
                return RuntimeApi.readAll((InputStream) result);
            } catch (java.io.IOException e) {
                throw new RuntimeException("An error occurred during JSON serialization of response", e);
            }
        }
        try {
            return Json.write(result).getBytes(StandardCharsets.UTF_8);
        } catch (RuntimeException e) {
            throw new RuntimeException("An error occurred during JSON serialization of response", e);
        }
    }
}
