package dev.jacobi.cli.run;

import java.util.List;
import java.util.Map;

/** A minimal JSON writer for reports and logs (maps, lists, strings, numbers, booleans, null); core parses it back. */
public final class Json {
    private Json() {
    }

    static String write(Object v) {
        StringBuilder sb = new StringBuilder();
        write(sb, v, "");
        return sb.toString();
    }

    /** {@code v} on one line, for JSON-lines logs. */
    public static String line(Object v) {
        return write(v).replaceAll("\\s*\\n\\s*", " ");
    }

    private static void write(StringBuilder sb, Object v, String indent) {
        if (v == null) {
            sb.append("null");
        } else if (v instanceof String s) {
            sb.append(dev.jacobi.core.io.Json.quote(s));
        } else if (v instanceof Double || v instanceof Float) {
            double d = ((Number) v).doubleValue();
            sb.append(Double.isFinite(d) ? Double.toString(d) : "null");
        } else if (v instanceof Number || v instanceof Boolean) {
            sb.append(v);
        } else if (v instanceof Map<?, ?> m) {
            sb.append("{");
            String in = indent + "  ";
            boolean first = true;
            for (Map.Entry<?, ?> e : m.entrySet()) {
                sb.append(first ? "\n" : ",\n").append(in);
                write(sb, String.valueOf(e.getKey()), in);
                sb.append(": ");
                write(sb, e.getValue(), in);
                first = false;
            }
            sb.append(first ? "}" : "\n" + indent + "}");
        } else if (v instanceof List<?> l) {
            sb.append("[");
            for (int i = 0; i < l.size(); i++) {
                sb.append(i == 0 ? "" : ", ");
                write(sb, l.get(i), indent);
            }
            sb.append("]");
        } else if (v instanceof double[] a) {
            write(sb, java.util.Arrays.stream(a).boxed().toList(), indent);
        } else if (v instanceof int[] a) {
            write(sb, java.util.Arrays.stream(a).boxed().toList(), indent);
        } else {
            write(sb, v.toString(), indent);
        }
    }
}
