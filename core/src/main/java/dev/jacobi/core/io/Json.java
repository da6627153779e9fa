package dev.jacobi.core.io;

import java.io.IOException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A strict RFC 8259 JSON parser for file headers: objects become {@code LinkedHashMap} (duplicate keys rejected),
 * arrays {@code ArrayList}, integers {@code Long}, other numbers {@code Double}, plus {@code String}, {@code Boolean}
 * and {@link #NULL}. Nesting is limited to {@link #MAX_DEPTH}. Errors are {@link IOException}s with the offset.
 */
public final class Json extends Scanner {
    /** The JSON {@code null} value. */
    public static final Object NULL = new Object() {
        @Override
        public String toString() {
            return "null";
        }
    };
    /** Deepest nesting accepted. */
    public static final int MAX_DEPTH = 64;

    private Json(String s, String where) {
        super(s, where, "bad JSON");
    }

    /**
     * Parses {@code text}, which must hold exactly one JSON value (whitespace around it allowed).
     *
     * @param text  the JSON text
     * @param where a name for error messages, e.g. the file
     * @return the value
     * @throws IOException naming {@code where} and the offset if the text is not valid JSON
     */
    public static Object parse(String text, String where) throws IOException {
        Json p = new Json(text, where);
        p.ws();
        Object v = p.value(0);
        p.ws();
        if (p.i != text.length()) {
            throw p.err("unexpected text after the JSON value");
        }
        return v;
    }

    private Object value(int depth) throws IOException {
        if (depth > MAX_DEPTH) {
            throw err("nesting deeper than " + MAX_DEPTH);
        }
        char c = peek();
        switch (c) {
            case '{':
                return object(depth);
            case '[':
                return array(depth);
            case '"':
                return string();
            case 't':
                return literal("true", Boolean.TRUE);
            case 'f':
                return literal("false", Boolean.FALSE);
            case 'n':
                return literal("null", NULL);
            default:
                if (c == '-' || c >= '0' && c <= '9') {
                    return number();
                }
                throw err(i < s.length() ? "unexpected character" : "unexpected end of JSON");
        }
    }

    private Map<String, Object> object(int depth) throws IOException {
        Map<String, Object> m = new LinkedHashMap<>();
        i++;
        ws();
        if (peek() == '}') {
            i++;
            return m;
        }
        while (true) {
            ws();
            if (peek() != '"') {
                throw err("expected a string key");
            }
            int at = i;
            String key = string();
            ws();
            expect(':');
            ws();
            if (m.containsKey(key)) {
                i = at;
                throw err("duplicate key \"" + key + "\"");
            }
            m.put(key, value(depth + 1));
            ws();
            if (peek() == '}') {
                i++;
                return m;
            }
            expect(',');
        }
    }

    private List<Object> array(int depth) throws IOException {
        List<Object> a = new ArrayList<>();
        i++;
        ws();
        if (peek() == ']') {
            i++;
            return a;
        }
        while (true) {
            ws();
            a.add(value(depth + 1));
            ws();
            if (peek() == ']') {
                i++;
                return a;
            }
            expect(',');
        }
    }

    private String string() throws IOException {
        StringBuilder sb = new StringBuilder();
        i++;
        while (true) {
            if (i >= s.length()) {
                throw err("unterminated string");
            }
            char c = s.charAt(i++);
            if (c == '"') {
                return sb.toString();
            }
            if (c < 0x20) {
                i--;
                throw err("unescaped control character in string");
            }
            if (c != '\\') {
                sb.append(c);
                continue;
            }
            char e = peek();
            i++;
            switch (e) {
                case '"', '\\', '/' -> sb.append(e);
                case 'b' -> sb.append('\b');
                case 'f' -> sb.append('\f');
                case 'n' -> sb.append('\n');
                case 'r' -> sb.append('\r');
                case 't' -> sb.append('\t');
                case 'u' -> {
                    if (i + 4 > s.length()) {
                        throw err("truncated \\u escape");
                    }
                    int v = 0;
                    for (int k = 0; k < 4; k++) {
                        int h = Character.digit(s.charAt(i + k), 16);
                        if (h < 0) {
                            throw err("bad \\u escape");
                        }
                        v = v * 16 + h;
                    }
                    i += 4;
                    sb.append((char) v);
                }
                default -> {
                    i--;
                    throw err("bad escape");
                }
            }
        }
    }

    private Object number() throws IOException {
        int start = i;
        if (peek() == '-') {
            i++;
        }
        if (peek() == '0') {
            i++;
        } else if (!digits()) {
            throw err("bad number");
        }
        boolean integral = true;
        if (peek() == '.') {
            i++;
            integral = false;
            if (!digits()) {
                throw err("bad number");
            }
        }
        if (peek() == 'e' || peek() == 'E') {
            i++;
            integral = false;
            if (peek() == '+' || peek() == '-') {
                i++;
            }
            if (!digits()) {
                throw err("bad number");
            }
        }
        String t = s.substring(start, i);
        if (!integral) {
            return Double.parseDouble(t);
        }
        try {
            return Long.parseLong(t);
        } catch (NumberFormatException e) {
            i = start;
            throw err("integer " + t + " is out of range");
        }
    }

    private boolean digits() {
        int start = i;
        while (i < s.length() && s.charAt(i) >= '0' && s.charAt(i) <= '9') {
            i++;
        }
        return i > start;
    }

    private Object literal(String word, Object v) throws IOException {
        if (!s.startsWith(word, i)) {
            throw err("unexpected character");
        }
        i += word.length();
        return v;
    }





    /**
     * {@code v} as a JSON string literal, compact like serde_json (strings escaped, non-ASCII kept).
     *
     * @param v the string
     * @return the quoted, escaped literal
     */
    public static String quote(String v) {
        StringBuilder sb = new StringBuilder("\"");
        for (int k = 0; k < v.length(); k++) {
            char c = v.charAt(k);
            switch (c) {
                case '"' -> sb.append("\\\"");
                case '\\' -> sb.append("\\\\");
                case '\n' -> sb.append("\\n");
                case '\r' -> sb.append("\\r");
                case '\t' -> sb.append("\\t");
                case '\b' -> sb.append("\\b");
                case '\f' -> sb.append("\\f");
                default -> {
                    if (c < 0x20) {
                        sb.append(String.format("\\u%04x", (int) c));
                    } else {
                        sb.append(c);
                    }
                }
            }
        }
        return sb.append('"').toString();
    }
}
