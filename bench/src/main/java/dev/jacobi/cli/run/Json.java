package dev.jacobi.cli.run;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.util.DefaultIndenter;
import com.fasterxml.jackson.core.util.DefaultPrettyPrinter;
import com.fasterxml.jackson.core.util.Separators;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.ObjectWriter;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The tool's JSON, on Jackson: reports, results and logs are maps, lists, strings, numbers, booleans and null. A
 * non-finite number is written as null, since JSON has no NaN. Objects keep their key order.
 */
public final class Json {
    private static final ObjectMapper MAPPER = new ObjectMapper();
    /** {@code "key": value}, {@code [1, 2]}, {@code {}} and {@code []}, as in the files written before Jackson. */
    private static final Separators SEPARATORS = Separators.createDefaultInstance()
            .withObjectFieldValueSpacing(Separators.Spacing.AFTER)
            .withArrayValueSpacing(Separators.Spacing.AFTER)
            .withObjectEmptySeparator("")
            .withArrayEmptySeparator("");
    private static final ObjectWriter PRETTY = MAPPER.writer(new DefaultPrettyPrinter().withSeparators(SEPARATORS)
            .withObjectIndenter(new DefaultIndenter("  ", "\n"))
            .withArrayIndenter(DefaultPrettyPrinter.NopIndenter.instance));
    private static final ObjectWriter LINE = MAPPER.writer(new DefaultPrettyPrinter()
            .withSeparators(SEPARATORS.withObjectEntrySpacing(Separators.Spacing.AFTER))
            .withObjectIndenter(DefaultPrettyPrinter.NopIndenter.instance)
            .withArrayIndenter(DefaultPrettyPrinter.NopIndenter.instance));

    private Json() {
    }

    /** {@code v} as indented JSON. */
    public static String write(Object v) {
        return write(PRETTY, v);
    }

    /** {@code v} on one line, for JSON-lines logs. */
    public static String line(Object v) {
        return write(LINE, v);
    }

    /**
     * Parses {@code text}: objects become {@link LinkedHashMap}s, arrays {@link ArrayList}s, numbers
     * {@link Integer}, {@link Long} or {@link Double}.
     *
     * @param where the file or source, named in the error
     * @throws IOException naming {@code where}, the line and the column when the text is not JSON
     */
    public static Object parse(String text, String where) throws IOException {
        try {
            return MAPPER.readValue(text, Object.class);
        } catch (JsonProcessingException e) {
            var at = e.getLocation();
            throw new IOException(where + ": not valid JSON" + (at == null ? "" : " at line " + at.getLineNr()
                    + ", column " + at.getColumnNr()) + ": " + e.getOriginalMessage(), e);
        }
    }

    private static String write(ObjectWriter w, Object v) {
        try {
            return w.writeValueAsString(plain(v));
        } catch (JsonProcessingException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** {@code v} with non-finite numbers as null, primitive arrays as lists and other objects as their text. */
    private static Object plain(Object v) {
        if (v == null || v instanceof String || v instanceof Boolean || v instanceof Integer || v instanceof Long) {
            return v;
        }
        if (v instanceof Double || v instanceof Float) {
            double d = ((Number) v).doubleValue();
            return Double.isFinite(d) ? d : null;
        }
        if (v instanceof Number n) {
            return n;
        }
        if (v instanceof Map<?, ?> m) {
            Map<String, Object> out = new LinkedHashMap<>();
            m.forEach((k, x) -> out.put(String.valueOf(k), plain(x)));
            return out;
        }
        if (v instanceof List<?> l) {
            List<Object> out = new ArrayList<>(l.size());
            l.forEach(x -> out.add(plain(x)));
            return out;
        }
        if (v instanceof double[] a) {
            return plain(Arrays.stream(a).boxed().toList());
        }
        if (v instanceof int[] a) {
            return Arrays.stream(a).boxed().toList();
        }
        return v.toString();
    }
}
