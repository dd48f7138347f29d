// A small JSON reader and writer: objects become LinkedHashMap, arrays ArrayList, numbers Integer/Long/Double.
package selfless.runtime;

import java.lang.reflect.Array;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

public final class Json {
    private final String s;
    private int i;

    private Json(String s) {
        this.s = s;
    }

    /** Parses one JSON document (surrounding whitespace allowed). */
    public static Object parse(String text) {
        Json p = new Json(text);
        p.ws();
        Object v = p.value();
        p.ws();
        if (p.i != p.s.length()) throw p.fail("Unexpected character");
        return v;
    }

    private IllegalArgumentException fail(String what) {
        return new IllegalArgumentException(what + " at position " + i + " of the JSON input");
    }

    private void ws() {
        while (i < s.length()) {
            char c = s.charAt(i);
            if (c == ' ' || c == '\t' || c == '\n' || c == '\r') i++;
            else break;
        }
    }

    private Object value() {
        if (i >= s.length()) throw fail("Unexpected end");
        char c = s.charAt(i);
        switch (c) {
            case '{': return object();
            case '[': return array();
            case '"': return string();
            case 't': return literal("true", Boolean.TRUE);
            case 'f': return literal("false", Boolean.FALSE);
            case 'n': return literal("null", null);
            default:
                if (c == '-' || (c >= '0' && c <= '9')) return number();
                throw fail("Unexpected character '" + c + "'");
        }
    }

    private Object literal(String word, Object v) {
        if (!s.startsWith(word, i)) throw fail("Unexpected token");
        i += word.length();
        return v;
    }

    private Map<String, Object> object() {
        Map<String, Object> m = new LinkedHashMap<>();
        i++;
        ws();
        if (i < s.length() && s.charAt(i) == '}') {
            i++;
            return m;
        }
        while (true) {
            ws();
            if (i >= s.length() || s.charAt(i) != '"') throw fail("Expected a field name");
            String k = string();
            ws();
            if (i >= s.length() || s.charAt(i) != ':') throw fail("Expected ':'");
            i++;
            ws();
            m.put(k, value());
            ws();
            if (i >= s.length()) throw fail("Unexpected end");
            char c = s.charAt(i++);
            if (c == '}') return m;
            if (c != ',') throw fail("Expected ',' or '}'");
        }
    }

    private List<Object> array() {
        List<Object> a = new ArrayList<>();
        i++;
        ws();
        if (i < s.length() && s.charAt(i) == ']') {
            i++;
            return a;
        }
        while (true) {
            ws();
            a.add(value());
            ws();
            if (i >= s.length()) throw fail("Unexpected end");
            char c = s.charAt(i++);
            if (c == ']') return a;
            if (c != ',') throw fail("Expected ',' or ']'");
        }
    }

    private String string() {
        StringBuilder b = new StringBuilder();
        i++;
        while (true) {
            if (i >= s.length()) throw fail("Unterminated string");
            char c = s.charAt(i++);
            if (c == '"') return b.toString();
            if (c != '\\') {
                b.append(c);
                continue;
            }
            if (i >= s.length()) throw fail("Unterminated string");
            char e = s.charAt(i++);
            switch (e) {
                case 'n': b.append('\n'); break;
                case 't': b.append('\t'); break;
                case 'r': b.append('\r'); break;
                case 'b': b.append('\b'); break;
                case 'f': b.append('\f'); break;
                case 'u':
                    if (i + 4 > s.length()) throw fail("Bad unicode escape");
                    b.append((char) Integer.parseInt(s.substring(i, i + 4), 16));
                    i += 4;
                    break;
                default: b.append(e);
            }
        }
    }

    private Object number() {
        int start = i;
        boolean real = false;
        if (s.charAt(i) == '-') i++;
        while (i < s.length()) {
            char c = s.charAt(i);
            if (c >= '0' && c <= '9') i++;
            else if (c == '.' || c == 'e' || c == 'E' || c == '+' || c == '-') {
                real = true;
                i++;
            } else break;
        }
        String t = s.substring(start, i);
        try {
            if (real) return Double.valueOf(t);
            BigInteger n = new BigInteger(t);
            if (n.bitLength() < 32) return n.intValue();
            if (n.bitLength() < 64) return n.longValue();
            return n;
        } catch (NumberFormatException e) {
            throw fail("Bad number");
        }
    }

    /** Writes a value: maps, collections, arrays, strings, numbers, booleans, enums and null (others via Pojo). */
    public static String write(Object v) {
        StringBuilder b = new StringBuilder();
        write(b, v);
        return b.toString();
    }

    static void write(StringBuilder b, Object v) {
        if (v == null) b.append("null");
        else if (v instanceof String || v instanceof Character) quote(b, v.toString());
        else if (v instanceof Boolean) b.append(v);
        else if (v instanceof Double || v instanceof Float) {
            double d = ((Number) v).doubleValue();
            if (Double.isNaN(d) || Double.isInfinite(d)) quote(b, v.toString());
            else if (d == Math.rint(d) && Math.abs(d) < 1e15) b.append(v.toString());
            else b.append(v);
        } else if (v instanceof BigDecimal) b.append(((BigDecimal) v).toPlainString());
        else if (v instanceof Number) b.append(v);
        else if (v instanceof Enum) quote(b, ((Enum<?>) v).name());
        else if (v instanceof Map) {
            b.append('{');
            boolean first = true;
            for (Map.Entry<?, ?> e : ((Map<?, ?>) v).entrySet()) {
                if (!first) b.append(',');
                first = false;
                quote(b, String.valueOf(e.getKey()));
                b.append(':');
                write(b, e.getValue());
            }
            b.append('}');
        } else if (v instanceof Collection) {
            b.append('[');
            boolean first = true;
            for (Object o : (Collection<?>) v) {
                if (!first) b.append(',');
                first = false;
                write(b, o);
            }
            b.append(']');
        } else if (v.getClass().isArray()) {
            if (v instanceof byte[]) {
                quote(b, java.util.Base64.getEncoder().encodeToString((byte[]) v));
                return;
            }
            b.append('[');
            for (int k = 0, n = Array.getLength(v); k < n; k++) {
                if (k > 0) b.append(',');
                write(b, Array.get(v, k));
            }
            b.append(']');
        } else Pojo.writeBean(b, v);
    }

    static void quote(StringBuilder b, String t) {
        b.append('"');
        for (int k = 0; k < t.length(); k++) {
            char c = t.charAt(k);
            switch (c) {
                case '"': b.append("\\\""); break;
                case '\\': b.append("\\\\"); break;
                case '\n': b.append("\\n"); break;
                case '\r': b.append("\\r"); break;
                case '\t': b.append("\\t"); break;
                case '\b': b.append("\\b"); break;
                case '\f': b.append("\\f"); break;
                default:
                    if (c < 0x20) b.append(String.format("\\u%04x", (int) c));
                    else b.append(c);
            }
        }
        b.append('"');
    }
}
