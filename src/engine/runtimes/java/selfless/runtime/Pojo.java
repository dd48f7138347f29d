// Typed events and results: JSON values into a handler's declared type and beans (getters, public fields) into JSON.
package selfless.runtime;

import java.lang.reflect.Array;
import java.lang.reflect.Constructor;
import java.lang.reflect.Field;
import java.lang.reflect.GenericArrayType;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.lang.reflect.ParameterizedType;
import java.lang.reflect.Type;
import java.lang.reflect.WildcardType;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;

public final class Pojo {
    private Pojo() {
    }

    /** How a bean's property is written: a setter (with its generic parameter type) or a public field. */
    private static final class Setter {
        final Method method;
        final Field field;

        Setter(Method m, Field f) {
            method = m;
            field = f;
        }

        Type type() {
            return method != null ? method.getGenericParameterTypes()[0] : field.getGenericType();
        }

        void set(Object target, Object value) throws ReflectiveOperationException {
            if (method != null) method.invoke(target, value);
            else field.set(target, value);
        }
    }

    private static final Map<Class<?>, Map<String, Setter>> SETTERS = new ConcurrentHashMap<>();
    private static final Map<Class<?>, Map<String, Object>> GETTERS = new ConcurrentHashMap<>();

    /** Converts a parsed JSON value into `type`, as Lambda's Java serializer does (property names case-insensitive). */
    public static Object convert(Object v, Type type) {
        Class<?> raw = rawClass(type);
        if (raw == Object.class) return v;
        if (v == null) return raw.isPrimitive() ? primitiveDefault(raw) : null;
        if (raw == String.class) {
            if (v instanceof Map || v instanceof List) throw mismatch(v, raw);
            return v.toString();
        }
        if (raw == int.class || raw == Integer.class) return number(v, raw).intValue();
        if (raw == long.class || raw == Long.class) return number(v, raw).longValue();
        if (raw == double.class || raw == Double.class) return number(v, raw).doubleValue();
        if (raw == float.class || raw == Float.class) return number(v, raw).floatValue();
        if (raw == short.class || raw == Short.class) return number(v, raw).shortValue();
        if (raw == byte.class || raw == Byte.class) return number(v, raw).byteValue();
        if (raw == BigDecimal.class) return new BigDecimal(number(v, raw).toString());
        if (raw == BigInteger.class) return new BigInteger(number(v, raw).toString());
        if (raw == boolean.class || raw == Boolean.class) {
            if (v instanceof Boolean) return v;
            if (v instanceof String) return Boolean.parseBoolean((String) v);
            throw mismatch(v, raw);
        }
        if (raw == char.class || raw == Character.class) {
            String t = v.toString();
            if (t.length() != 1) throw mismatch(v, raw);
            return t.charAt(0);
        }
        if (raw.isEnum()) return enumValue(raw, v);
        if (Map.class.isAssignableFrom(raw)) {
            if (!(v instanceof Map)) throw mismatch(v, raw);
            Type valueType = typeArg(type, 1);
            Map<Object, Object> out = raw.isAssignableFrom(LinkedHashMap.class) ? new LinkedHashMap<>()
                    : raw.isAssignableFrom(TreeMap.class) ? new TreeMap<>() : newInstance(raw);
            for (Map.Entry<?, ?> e : ((Map<?, ?>) v).entrySet()) out.put(e.getKey(), convert(e.getValue(), valueType));
            return out;
        }
        if (Collection.class.isAssignableFrom(raw)) {
            if (!(v instanceof List)) throw mismatch(v, raw);
            Type itemType = typeArg(type, 0);
            Collection<Object> out = raw.isAssignableFrom(ArrayList.class) ? new ArrayList<>()
                    : raw.isAssignableFrom(LinkedHashSet.class) ? new LinkedHashSet<>() : newInstance(raw);
            for (Object o : (List<?>) v) out.add(convert(o, itemType));
            return out;
        }
        if (raw.isArray()) {
            if (raw == byte[].class && v instanceof String) return java.util.Base64.getDecoder().decode((String) v);
            if (!(v instanceof List)) throw mismatch(v, raw);
            List<?> list = (List<?>) v;
            Type item = type instanceof GenericArrayType ? ((GenericArrayType) type).getGenericComponentType() : raw.getComponentType();
            Object out = Array.newInstance(raw.getComponentType(), list.size());
            for (int k = 0; k < list.size(); k++) Array.set(out, k, convert(list.get(k), item));
            return out;
        }
        if (!(v instanceof Map)) throw mismatch(v, raw);
        Object bean = newInstance(raw);
        Map<String, Setter> setters = setters(raw);
        for (Map.Entry<?, ?> e : ((Map<?, ?>) v).entrySet()) {
            Setter s = setters.get(String.valueOf(e.getKey()).toLowerCase(Locale.ROOT));
            if (s == null) continue;
            try {
                s.set(bean, convert(e.getValue(), s.type()));
            } catch (ReflectiveOperationException x) {
                throw new IllegalArgumentException("Cannot set property " + e.getKey() + " of " + raw.getName() + ": " + x, x);
            }
        }
        return bean;
    }

    private static IllegalArgumentException mismatch(Object v, Class<?> raw) {
        String kind = v instanceof Map ? "Object value" : v instanceof List ? "Array value" : v instanceof String ? "String value" : "value " + v;
        return new IllegalArgumentException("Cannot deserialize value of type `" + raw.getName() + "` from " + kind);
    }

    private static Number number(Object v, Class<?> raw) {
        if (v instanceof Number) return (Number) v;
        if (v instanceof String) {
            try {
                return new BigDecimal(((String) v).trim());
            } catch (NumberFormatException e) {
                throw mismatch(v, raw);
            }
        }
        throw mismatch(v, raw);
    }

    private static Object primitiveDefault(Class<?> raw) {
        if (raw == boolean.class) return false;
        if (raw == char.class) return '\0';
        return convert(0, raw);
    }

    @SuppressWarnings({ "unchecked", "rawtypes" })
    private static Object enumValue(Class<?> raw, Object v) {
        for (Object c : raw.getEnumConstants()) if (((Enum) c).name().equalsIgnoreCase(v.toString())) return c;
        throw new IllegalArgumentException("Cannot deserialize value of type `" + raw.getName() + "` from String \"" + v + "\": not one of the values accepted for Enum class");
    }

    @SuppressWarnings("unchecked")
    private static <T> T newInstance(Class<?> raw) {
        if (raw.isInterface() || Modifier.isAbstract(raw.getModifiers())) {
            throw new IllegalArgumentException("Cannot construct instance of `" + raw.getName() + "` (abstract types need a concrete class)");
        }
        try {
            Constructor<?> c = raw.getDeclaredConstructor();
            c.setAccessible(true);
            return (T) c.newInstance();
        } catch (NoSuchMethodException e) {
            throw new IllegalArgumentException("Cannot construct instance of `" + raw.getName() + "` (no Creators, like default constructor, exist)");
        } catch (ReflectiveOperationException e) {
            throw new IllegalArgumentException("Cannot construct instance of `" + raw.getName() + "`: " + e, e);
        }
    }

    static Class<?> rawClass(Type t) {
        if (t instanceof Class) return (Class<?>) t;
        if (t instanceof ParameterizedType) return rawClass(((ParameterizedType) t).getRawType());
        if (t instanceof GenericArrayType) return Array.newInstance(rawClass(((GenericArrayType) t).getGenericComponentType()), 0).getClass();
        if (t instanceof WildcardType) return rawClass(((WildcardType) t).getUpperBounds()[0]);
        return Object.class;
    }

    private static Type typeArg(Type t, int i) {
        if (t instanceof ParameterizedType) {
            Type[] a = ((ParameterizedType) t).getActualTypeArguments();
            if (i < a.length) return a[i];
            if (a.length == 1) return a[0];
        }
        return Object.class;
    }

    private static Map<String, Setter> setters(Class<?> c) {
        return SETTERS.computeIfAbsent(c, k -> {
            Map<String, Setter> m = new HashMap<>();
            for (Field f : k.getFields()) {
                if (!Modifier.isStatic(f.getModifiers()) && !Modifier.isFinal(f.getModifiers())) m.put(f.getName().toLowerCase(Locale.ROOT), new Setter(null, f));
            }
            for (Method x : k.getMethods()) {
                String n = x.getName();
                if (n.length() > 3 && n.startsWith("set") && x.getParameterCount() == 1 && !Modifier.isStatic(x.getModifiers())) {
                    m.put(n.substring(3).toLowerCase(Locale.ROOT), new Setter(x, null));
                }
            }
            return m;
        });
    }

    /** name → Method (getter) or Field, in a stable order. */
    private static Map<String, Object> getters(Class<?> c) {
        return GETTERS.computeIfAbsent(c, k -> {
            Map<String, Object> m = new LinkedHashMap<>();
            for (Field f : k.getFields()) if (!Modifier.isStatic(f.getModifiers())) m.put(f.getName(), f);
            for (Method x : k.getMethods()) {
                if (Modifier.isStatic(x.getModifiers()) || x.getParameterCount() != 0 || x.getDeclaringClass() == Object.class) continue;
                String n = x.getName();
                String prop = null;
                if (n.length() > 3 && n.startsWith("get") && x.getReturnType() != void.class) prop = n.substring(3);
                else if (n.length() > 2 && n.startsWith("is") && (x.getReturnType() == boolean.class || x.getReturnType() == Boolean.class)) prop = n.substring(2);
                if (prop == null) continue;
                m.put(decapitalize(prop), x);
            }
            return m;
        });
    }

    private static String decapitalize(String p) {
        if (p.length() > 1 && Character.isUpperCase(p.charAt(0)) && Character.isUpperCase(p.charAt(1))) {
            // Jackson's rule: the whole leading run of capitals is lowered (getURL → url, getURLPath → urlpath)
            int k = 0;
            while (k < p.length() && Character.isUpperCase(p.charAt(k))) k++;
            return p.substring(0, k).toLowerCase(Locale.ROOT) + p.substring(k);
        }
        return Character.toLowerCase(p.charAt(0)) + p.substring(1);
    }

    /** Writes a bean as a JSON object of its non-null properties. */
    static void writeBean(StringBuilder b, Object v) {
        Map<String, Object> props = getters(v.getClass());
        b.append('{');
        boolean first = true;
        for (Map.Entry<String, Object> e : props.entrySet()) {
            Object value;
            try {
                Object g = e.getValue();
                if (g instanceof Method) {
                    Method m = (Method) g;
                    m.setAccessible(true);
                    value = m.invoke(v);
                } else value = ((Field) g).get(v);
            } catch (ReflectiveOperationException | RuntimeException x) {
                throw new IllegalStateException("Cannot read property " + e.getKey() + " of " + v.getClass().getName() + ": " + x, x);
            }
            if (value == null) continue;
            if (!first) b.append(',');
            first = false;
            Json.quote(b, e.getKey());
            b.append(':');
            Json.write(b, value);
        }
        b.append('}');
    }
}
